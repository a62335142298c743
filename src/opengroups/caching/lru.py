"""Bounded in-memory maps, least recently used entry dropped first.

Each map counts its reads (``hits`` and ``misses``: plain integers, for ``/metrics``); a value
that is there but expired, or filed under another signature, is a miss.
"""

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
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        value = self._lookup(key)
        self._count(value is not None)
        return value

    def _lookup(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def _count(self, hit: bool) -> None:
        if hit:
            self.hits += 1
        else:
            self.misses += 1

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
        entry = self._lookup(key)
        if entry is not None and time.time() >= entry[1]:
            self.pop(key)
            entry = None
        self._count(entry is not None)
        return entry[0] if entry is not None else None


class SignedLRU(LRU[K, tuple[str, V]]):
    """An ``LRU`` whose values are filed under a signature of what they were computed from:
    a value is returned only for the same signature, so it is right for as long as its inputs
    still show that signature, and nothing ever has to invalidate it."""

    def signed(self, key: K, signature: str) -> V | None:
        entry = self._lookup(key)
        if entry is None or entry[0] != signature:
            self._count(False)
            return None
        self._count(True)
        return entry[1]
