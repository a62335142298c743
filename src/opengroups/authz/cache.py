"""Per-process caches whose entries are exact for one authorization revision.

An entry is filed under the revision read (from the database) before its data was, and served
only while that revision is at least the newest one a request has observed
(``authz.revision.observed_revision``). A change committed by any process raises the observed
revision past it, so the next request in every process misses and recomputes: there is no time
window and no message to miss.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class EffectivePermissions:
    granted: frozenset[str]
    tree: dict[str, Any]
    tree_json: bytes = field(default=b"", compare=False, repr=False)

    @classmethod
    def of(cls, granted: frozenset[str], tree: dict[str, Any]) -> EffectivePermissions:
        """With the tree encoded once, as every response for this user will send it."""
        return cls(granted, tree, json.dumps(tree, separators=(",", ":")).encode())


class RevisionCache(Generic[K, V]):
    """An LRU of ``key -> value`` holding the entries of a single revision, the newest seen."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.revision = -1
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, observed: int) -> V | None:
        """The entry, if it was computed under a revision at least ``observed``."""
        if observed > self.revision:
            self._entries.clear()  # older than a committed change: all of it
            return None
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: K, revision: int, value: V) -> None:
        """File ``value``, computed from data at least as new as ``revision``."""
        if revision < self.revision:
            return  # a slower request that read older data: keep it out
        if revision > self.revision:
            self._entries.clear()
            self.revision = revision
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


PermissionCache = RevisionCache[str, EffectivePermissions]
