"""``GET /groups/id/{id}/preview``: what membership of a group gives, as Open WebUI shapes it:
the permissions it and its ancestors add (``authz``) and the resources granted to them (here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.authz import service as authz_service
from opengroups.errors import GroupNotFound
from opengroups.grants import repository as grants_repository
from opengroups.groups import hierarchy
from opengroups.groups import repository as groups_repository
from opengroups.models import Group
from opengroups.permissions import (
    DEFAULT_SOURCE,
    Authz,
    Explanation,
    GroupPermissions,
    effective_keys,
    explain,
)

# Open WebUI's preview lists these three kinds under their own keys.
_COMPAT_KINDS = {"model": "models", "knowledge": "knowledge", "tool": "tools"}


def _default_models(group: Group) -> list[str]:
    config = (group.data or {}).get("config") if isinstance(group.data, dict) else None
    models = config.get("default_models") if isinstance(config, dict) else None
    return [m for m in models if isinstance(m, str)] if isinstance(models, list) else []


def _resolve_default_models(chain: list[Group]) -> tuple[list[str], str | None]:
    """The deepest group with default models wins, then the oldest, then the smallest id."""
    depth = {group.id: len(chain) - index for index, group in enumerate(chain)}
    candidates = [group for group in chain if _default_models(group)]
    if not candidates:
        return [], None
    winner = min(candidates, key=lambda g: (-depth[g.id], g.created_at, g.id))
    return _default_models(winner), winner.id


async def _chain(session: AsyncSession, group_id: str) -> list[Group]:
    """The group and its ancestors, nearest first. Raises ``GroupNotFound``."""
    chain_ids = await hierarchy.ancestor_ids(session, group_id)  # the group first
    by_id = {g.id: g for g in await groups_repository.groups_by_ids(session, chain_ids)}
    if group_id not in by_id:
        raise GroupNotFound(group_id)
    return [by_id[gid] for gid in chain_ids if gid in by_id]


@dataclass(frozen=True)
class GroupExplanation:
    """What membership of a group gives, key by key: each key's value for its members and what
    grants it (``default``, then the group itself and its ancestors, nearest first), with the
    names of those groups."""

    group_id: str
    names: dict[str, str]
    keys: dict[str, Explanation]


async def explain_group(session: AsyncSession, authz: Authz, *, group_id: str) -> GroupExplanation:
    """For every catalog key, whether a member of the group has it through the defaults, the
    group itself or a group above it (a member of a group below has at least that). Raises
    ``GroupNotFound``."""
    chain = await _chain(session, group_id)
    defaults = await authz_service.default_values(session, authz)
    found = explain(authz.catalog, defaults, [GroupPermissions(g.id, g.permissions) for g in chain])
    rank = {DEFAULT_SOURCE: -1} | {g.id: index for index, g in enumerate(chain)}
    return GroupExplanation(
        group_id=group_id,
        names={g.id: g.name for g in chain},
        keys={
            key: Explanation(item.value, tuple(sorted(item.sources, key=rank.__getitem__)))
            for key, item in found.items()
        },
    )


async def preview_group(session: AsyncSession, authz: Authz, *, group_id: str) -> dict[str, Any]:
    """The group's own, inherited and effective permissions, its default models, and the
    resources readable through it or its ancestors. Raises ``GroupNotFound``."""
    chain = await _chain(session, group_id)
    group, ancestors = chain[0], chain[1:]
    chain_ids = [g.id for g in chain]

    catalog = authz.catalog
    defaults = await authz_service.default_values(session, authz)
    inherited = effective_keys(
        catalog, defaults, [GroupPermissions(g.id, g.permissions) for g in ancestors]
    )
    own = catalog.granted(group.permissions)

    kinds: dict[str, list[str]] = defaultdict(list)
    for resource_type, resource_id in await grants_repository.resources_granted_to_groups(
        session, chain_ids
    ):
        kinds[resource_type].append(resource_id)

    def listing(ids: list[str]) -> dict[str, Any]:
        return {"items": [{"id": rid, "name": rid} for rid in ids], "total": len(ids)}

    models, source_group_id = _resolve_default_models(chain)
    return {
        "group": {"id": group.id, "name": group.name},
        "default_models": {
            "local": _default_models(group),
            "effective": models,
            "source_group_id": source_group_id,
        },
        **{key: listing(kinds.get(kind, [])) for kind, key in _COMPAT_KINDS.items()},
        "resources": {kind: listing(ids) for kind, ids in sorted(kinds.items())},
        "permissions": group.permissions or {},
        "inherited_permissions": catalog.render(dict.fromkeys(inherited, True)),
        "effective_permissions": catalog.render(dict.fromkeys(inherited | own, True)),
    }
