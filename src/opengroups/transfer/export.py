"""Exports: one group with provenance ``meta``, or the whole instance as a bundle."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.authz import service as authz_service
from opengroups.config import Settings
from opengroups.groups import hierarchy
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupExportResponse
from opengroups.memberships import repository as memberships
from opengroups.models import Group, User, now_epoch
from opengroups.permissions import Authz
from opengroups.transfer.schemas import (
    BUNDLE_VERSION,
    EXPORT_FORMAT_VERSION,
    Bundle,
    BundleGroup,
    BundleMember,
)


def provenance(
    meta: dict[str, Any] | None, *, actor_id: str, settings: Settings, now: int
) -> dict[str, Any]:
    """``meta`` as the seed documents it for an export: the stored keys, with
    ``export_timestamp``, ``exported_by``, ``version`` and ``source_system`` set and the stored
    ``custom_data`` kept."""
    stored = dict(meta or {})
    custom = stored.get("custom_data")
    return {
        **stored,
        "export_timestamp": now,
        "exported_by": actor_id,
        "version": EXPORT_FORMAT_VERSION,
        "source_system": settings.instance_name,
        "custom_data": custom if isinstance(custom, dict) else {},
    }


async def export_group_json(
    session: AsyncSession, *, actor: User, group_id: str, settings: Settings
) -> str:
    """``GroupExportResponse`` as JSON: the group with provenance ``meta`` and its direct member
    ids, sorted. Raises ``GroupNotFound``.

    The ids arrive from the database as one JSON array and are placed in the document as they
    are: a group of 50,000 is then one string, not 50,000 values validated and encoded again.
    """
    response = (await groups_service.get_group(session, group_id=group_id)).value
    meta = provenance(response.meta, actor_id=actor.id, settings=settings, now=now_epoch())
    head = GroupExportResponse.model_validate({**response.model_dump(), "meta": meta})
    user_ids = await memberships.direct_member_ids_json(session, group_id)
    # ``user_ids`` is the schema's last field: the document is the rest, then it.
    rest = head.model_dump_json(exclude={"user_ids"})
    return f'{rest[:-1]},"user_ids":{user_ids}}}'


async def export_bundle(
    session: AsyncSession, authz: Authz, *, actor_id: str, settings: Settings
) -> Bundle:
    """Every group (parents first), its direct members by id and e-mail, and the defaults."""
    now = now_epoch()
    groups: list[Group] = hierarchy.parents_first(
        await groups_repository.all_groups(session), key=lambda g: (g.name_key, g.id)
    )
    members: dict[str, list[BundleMember]] = defaultdict(list)
    for group_id, user_id, email, name in await memberships.all_members_with_users(session):
        members[group_id].append(BundleMember(id=user_id, email=email, name=name))
    return Bundle(
        version=BUNDLE_VERSION,
        source_system=settings.instance_name,
        exported_at=now,
        exported_by=actor_id,
        catalog_version=authz.catalog.version,
        default_permissions=await authz_service.get_default_permissions(session, authz),
        groups=[
            BundleGroup(
                id=group.id,
                name=group.name,
                description=group.description,
                parent_group_id=group.parent_group_id,
                user_id=group.user_id,
                data=group.data,
                meta=provenance(group.meta, actor_id=actor_id, settings=settings, now=now),
                permissions=group.permissions,
                created_at=group.created_at,
                updated_at=group.updated_at,
                members=members.get(group.id, []),
            )
            for group in groups
        ],
    )


def bundle_json(bundle: Bundle) -> str:
    """The bundle as stable JSON: same state, same bytes (apart from the timestamps)."""
    return json.dumps(bundle.model_dump(mode="json"), sort_keys=True, indent=1, ensure_ascii=False)
