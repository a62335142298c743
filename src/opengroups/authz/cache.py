"""Per-process cache of effective permissions, valid for exactly one database revision.

Every change that can alter someone's effective permissions bumps ``authz_state.revision`` in
its own transaction. A request reads the revision first and uses an entry only if it was
computed under that same revision, so a change committed by any process is seen by every other
process on its very next request: there is no time window and no message to miss.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EffectivePermissions:
    granted: frozenset[str]
    tree: dict[str, Any]


class PermissionCache:
    """An LRU of ``user_id -> EffectivePermissions`` for the newest revision seen."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.revision = -1
        self._entries: OrderedDict[str, EffectivePermissions] = OrderedDict()

    def _observe(self, revision: int) -> bool:
        """Move to a newer revision (dropping everything); False for an older one."""
        if revision > self.revision:
            self._entries.clear()
            self.revision = revision
        return revision == self.revision

    def get(self, user_id: str, revision: int) -> EffectivePermissions | None:
        if not self._observe(revision):
            return None
        entry = self._entries.get(user_id)
        if entry is not None:
            self._entries.move_to_end(user_id)
        return entry

    def put(self, user_id: str, revision: int, value: EffectivePermissions) -> None:
        # A request that read an older revision than the newest seen computes from older data:
        # keep its result out of the cache.
        if not self._observe(revision):
            return
        self._entries[user_id] = value
        self._entries.move_to_end(user_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
