"""The bounded maps the caches are made of."""

from __future__ import annotations

import time

from opengroups.caching.lru import LRU, ExpiringLRU, SignedLRU


def test_least_recently_used_entry_goes_first() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("alice", 1)
    cache.put("bob", 2)
    assert cache.get("alice") == 1  # alice is now the most recent

    cache.put("carol", 3)

    assert len(cache) == 2
    assert cache.get("bob") is None
    assert (cache.get("alice"), cache.get("carol")) == (1, 3)


def test_an_expired_token_is_not_served() -> None:
    cache: ExpiringLRU[str, str] = ExpiringLRU(10)
    cache.put("expired", ("user-1", int(time.time()) - 1))
    cache.put("valid", ("user-2", int(time.time()) + 600))

    assert cache.value("expired") is None
    assert "expired" not in cache
    assert cache.value("valid") == "user-2"


def test_a_signed_value_is_returned_for_its_own_signature_only() -> None:
    cache: SignedLRU[str, int] = SignedLRU(10)
    cache.put("group", ("v1", 21))

    assert cache.signed("group", "v1") == 21
    assert cache.signed("group", "v2") is None
    assert cache.signed("other", "v1") is None
    # A zero is a value, not a miss.
    cache.put("empty", ("v1", 0))
    assert cache.signed("empty", "v1") == 0


def test_reads_are_counted_as_hits_and_misses() -> None:
    plain: LRU[str, int] = LRU(10)
    plain.put("alice", 1)
    plain.get("alice")
    plain.get("bob")
    expiring: ExpiringLRU[str, str] = ExpiringLRU(10)
    expiring.put("expired", ("user-1", int(time.time()) - 1))
    expiring.put("valid", ("user-2", int(time.time()) + 600))
    expiring.value("expired")  # there, but expired: a miss
    expiring.value("valid")
    signed: SignedLRU[str, int] = SignedLRU(10)
    signed.put("group", ("digest-1", 3))
    signed.signed("group", "digest-2")  # filed under another signature: a miss
    signed.signed("group", "digest-1")

    assert [(c.hits, c.misses) for c in (plain, expiring, signed)] == [(1, 1), (1, 1), (1, 1)]
