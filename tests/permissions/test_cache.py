"""The per-process caches: an entry is used while no newer revision has been observed; a newer
revision drops everything; a result computed under an older one is not kept."""

from __future__ import annotations

import json

from opengroups.authz.cache import EffectivePermissions, PermissionCache
from opengroups.authz.context import Authz
from opengroups.permissions import load_catalog


def _value(*keys: str) -> EffectivePermissions:
    return EffectivePermissions(granted=frozenset(keys), tree={"keys": sorted(keys)})


def test_entry_is_used_at_the_same_revision() -> None:
    cache = PermissionCache()
    value = _value("chat.delete")

    cache.put("alice", 5, value)

    assert cache.get("alice", 5) is value
    assert cache.get("bob", 5) is None


def test_newer_revision_drops_every_entry() -> None:
    cache = PermissionCache()
    cache.put("alice", 5, _value("chat.delete"))
    cache.put("bob", 5, _value())

    assert cache.get("alice", 6) is None
    assert len(cache) == 0
    assert cache.get("bob", 6) is None
    # Going back to the old revision does not bring them back.
    assert cache.get("alice", 5) is None


def test_entry_newer_than_the_observed_revision_is_current() -> None:
    # The shared hint may lag the database for a moment (a commit not yet published): an entry
    # filed under the database's newer revision is still exact for that request.
    cache = PermissionCache()
    value = _value("chat.delete")
    cache.put("alice", 7, value)

    assert cache.get("alice", 6) is value
    assert cache.get("alice", 7) is value
    assert cache.get("alice", 8) is None


def test_put_for_an_older_revision_is_ignored() -> None:
    cache = PermissionCache()
    current = _value("chat.delete")
    cache.put("alice", 7, current)

    cache.put("alice", 6, _value("workspace.models"))
    cache.put("bob", 6, _value())

    assert cache.get("alice", 7) is current
    assert cache.get("bob", 7) is None
    assert len(cache) == 1


def test_put_for_a_newer_revision_replaces_the_older_entries() -> None:
    cache = PermissionCache()
    cache.put("alice", 1, _value("chat.delete"))
    newer = _value("workspace.models")

    cache.put("bob", 2, newer)

    assert cache.get("bob", 2) is newer
    assert cache.get("alice", 2) is None


def test_least_recently_used_entry_goes_first() -> None:
    cache = PermissionCache(max_entries=2)
    cache.put("alice", 1, _value())
    cache.put("bob", 1, _value())
    assert cache.get("alice", 1) is not None  # alice is now the most recent

    cache.put("carol", 1, _value())

    assert len(cache) == 2
    assert cache.get("bob", 1) is None
    assert cache.get("alice", 1) is not None
    assert cache.get("carol", 1) is not None


def test_users_with_the_same_permissions_share_one_value() -> None:
    authz = Authz(catalog=load_catalog(None))
    first = authz.effective(frozenset({"chat.delete"}))

    assert authz.effective(frozenset({"chat.delete"})) is first
    assert authz.effective(frozenset()) is not first
    assert json.loads(first.tree_json) == first.tree
    assert first.tree["chat"]["delete"] is True
