"""Effective permissions: defaults OR every effective group, and why each key has its value.

Pure functions over plain data: a catalog, the defaults as flat values, and each group's tree.
Groups only add rights (most permissive wins, as in Open WebUI): a group's ``false`` never turns
off a default ``true``, and keys a group does not mention come from the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opengroups.permissions.catalog import Catalog

DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class GroupPermissions:
    group_id: str
    tree: Mapping[str, Any] | None


@dataclass(frozen=True)
class Explanation:
    """A key's effective value and what grants it: ``default`` and/or group ids (sorted)."""

    value: bool
    sources: tuple[str, ...]


def effective_keys(
    catalog: Catalog, defaults: Mapping[str, bool], groups: Iterable[GroupPermissions]
) -> frozenset[str]:
    """The granted keys: those true in the defaults, plus those any group sets to true."""
    granted = {key for key in catalog.defaults if defaults.get(key, False)}
    for group in groups:
        granted |= catalog.granted(group.tree)
    return frozenset(granted)


def explain(
    catalog: Catalog, defaults: Mapping[str, bool], groups: Iterable[GroupPermissions]
) -> dict[str, Explanation]:
    """For every catalog key, its value and the sources that grant it."""
    sources: dict[str, list[str]] = {
        key: [DEFAULT_SOURCE] if defaults.get(key, False) else [] for key in catalog.defaults
    }
    for group in sorted(groups, key=lambda g: g.group_id):
        for key in catalog.granted(group.tree):
            if group.group_id not in sources[key]:
                sources[key].append(group.group_id)
    return {
        key: Explanation(value=bool(found), sources=tuple(found)) for key, found in sources.items()
    }


@dataclass(frozen=True)
class EffectivePermissions:
    """A user's granted keys and the full tree they render to, encoded once as JSON (every
    response for this user sends the same bytes)."""

    granted: frozenset[str]
    tree: dict[str, Any]
    tree_json: bytes = field(default=b"", compare=False, repr=False)

    @classmethod
    def of(cls, catalog: Catalog, granted: frozenset[str]) -> EffectivePermissions:
        tree = catalog.render(dict.fromkeys(granted, True))
        return cls(granted, tree, json.dumps(tree, separators=(",", ":")).encode())
