"""Group names are identified after Unicode compatibility normalisation (NFKC) and case folding.

``group.name_key`` was ``casefold(name)``; it becomes ``NFKC(casefold(NFKC(name)))``, so that
fullwidth, ligature and decomposed spellings of a name are the same group. Existing groups are
re-keyed in creation order; a group whose new key an older group already has keeps a key made
unique with its id (it stays listed under its own name, and a new group cannot take it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_GROUPS = sa.table(
    "group",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("created_at", sa.BigInteger),
)


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _rekey(key_of: object) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_GROUPS.c.id, _GROUPS.c.name, _GROUPS.c.name_key).order_by(
            _GROUPS.c.created_at, _GROUPS.c.id
        )
    ).all()
    wanted: dict[str, str] = {}
    taken: set[str] = set()
    for group_id, name, _old in rows:
        key = key_of(name)  # type: ignore[operator]
        if key in taken:
            key = f"{key} {group_id}"[:255]
        taken.add(key)
        wanted[group_id] = key
    changed = {gid: key for (gid, _name, old) in rows if (key := wanted[gid]) != old}
    # Through a placeholder first, so that two groups swapping keys never collide midway.
    for group_id in changed:
        connection.execute(
            sa.update(_GROUPS).where(_GROUPS.c.id == group_id).values(name_key=f"\x01{group_id}")
        )
    for group_id, key in changed.items():
        connection.execute(sa.update(_GROUPS).where(_GROUPS.c.id == group_id).values(name_key=key))


def upgrade() -> None:
    _rekey(_key)


def downgrade() -> None:
    _rekey(str.casefold)
