"""Users without a picture of their own point at the picture route, as Open WebUI 0.12.4's do.

``profile_image_url`` was ``/user.png`` (a file of Open WebUI's front end) for users who never
set one; it becomes ``/api/v1/users/{id}/profile/image``, which answers a default picture.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE \"user\" SET profile_image_url = '/api/v1/users/' || id || '/profile/image' "
        "WHERE profile_image_url IN ('/user.png', '')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE \"user\" SET profile_image_url = '/user.png' "
        "WHERE profile_image_url = '/api/v1/users/' || id || '/profile/image'"
    )
