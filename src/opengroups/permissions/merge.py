"""Merging permission trees: the most permissive value wins, as in Open WebUI."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from opengroups.permissions.catalog import PermissionTree


def fill_missing(tree: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> PermissionTree:
    """A deep copy of ``tree`` with every key of ``defaults`` it lacks filled in."""
    result: PermissionTree = copy.deepcopy(dict(tree or {}))
    for key, default in defaults.items():
        if key not in result:
            result[key] = copy.deepcopy(default)
        elif isinstance(default, Mapping) and isinstance(result[key], Mapping):
            result[key] = fill_missing(result[key], default)
    return result


def combine(base: Mapping[str, Any], extra: Mapping[str, Any] | None) -> PermissionTree:
    """A new tree where each leaf is ``base OR extra``; keys only in ``extra`` are added."""
    result: PermissionTree = copy.deepcopy(dict(base))
    for key, value in (extra or {}).items():
        current = result.get(key)
        if isinstance(value, Mapping):
            result[key] = combine(current if isinstance(current, Mapping) else {}, value)
        elif isinstance(current, Mapping):
            continue  # a leaf where the catalog has a section: never lets a group break the tree
        else:
            result[key] = bool(current) or bool(value)
    return result


def effective_tree(
    defaults: Mapping[str, Any], group_trees: Iterable[Mapping[str, Any] | None]
) -> PermissionTree:
    """Defaults OR every group's tree."""
    result: PermissionTree = copy.deepcopy(dict(defaults))
    for tree in group_trees:
        result = combine(result, tree)
    return result
