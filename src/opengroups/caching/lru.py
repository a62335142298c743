"""Bounded in-memory maps, least recently used entry dropped first."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``max_entries`` values; reading one makes it the most recent."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


class ExpiringLRU(LRU[K, tuple[V, int]]):
    """An ``LRU`` whose values carry an expiry (epoch seconds), checked on every read."""

    def value(self, key: K) -> V | None:
        """The value of an entry that has not expired yet (an expired one is dropped)."""
        entry = self.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if time.time() >= expires_at:
            self.pop(key)
            return None
        return value


class SignedLRU(LRU[K, tuple[str, V]]):
    """An ``LRU`` whose values are filed under a signature of what they were computed from:
    a value is returned only for the same signature, so it is right for as long as its inputs
    still show that signature, and nothing ever has to invalidate it."""

    def signed(self, key: K, signature: str) -> V | None:
        entry = self.get(key)
        if entry is None or entry[0] != signature:
            return None
        return entry[1]
