"""Counts that are costly to compute, kept under the subtree signature they were computed from.

A group's inherited-member count depends only on the groups in its subtree and on their direct
members. ``listing.Subtree.signature`` digests exactly that (each group's id, parent, member
count and ``members_version``, which the database replaces with a random number on every
membership change), so an entry stored under a signature is right for as long as the database
still shows that signature, and is simply never asked for again once it does not. Nothing has to
invalidate it, in this process or another.
"""

from __future__ import annotations

from collections import OrderedDict


class SignedCountCache:
    """At most ``size`` counts, least recently used dropped first; one per key."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], tuple[str, int]] = OrderedDict()

    def get(self, key: tuple[str, str], signature: str) -> int | None:
        """The count stored for ``key`` under ``signature``, or None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != signature:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: tuple[str, str], signature: str, count: int) -> None:
        self._entries[key] = (signature, count)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


# Inherited-member counts (without a search) by (database URL, group id).
INHERITED_COUNTS = SignedCountCache()
