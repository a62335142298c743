"""The cache owner: each change drops the entries of the users it names and no others; an entry
computed before a change that touches it is not filed; one value is shared by users with the
same permissions."""

from __future__ import annotations

from typing import Any

from opengroups.caching import Caches, Invalidation
from opengroups.caching.owner import RECENT_CHANGES
from opengroups.caching.revision import EVERYONE, MAX_NAMED_USERS
from opengroups.permissions import EffectivePermissions, load_catalog

CATALOG = load_catalog(None)


def value(*keys: str) -> EffectivePermissions:
    return EffectivePermissions.of(CATALOG, frozenset(keys))


def row(name: str) -> dict[str, Any]:
    return {"id": name, "name": name}


def started(revision: int = 10) -> Caches:
    """Caches that have caught up with ``revision`` (as after a first request)."""
    caches = Caches()
    caches.apply(revision, EVERYONE)
    return caches


def test_a_change_drops_the_users_it_names_and_keeps_the_others() -> None:
    caches = started()
    for name in ("alice", "bob", "carol"):
        caches.put_user(name, 10, row(name))
        caches.put_permissions(name, 10, value("chat.delete"))

    caches.apply(11, Invalidation.of(["alice", "bob"]))

    assert caches.users.get("alice") is None
    assert caches.permissions.get("bob") is None
    assert caches.users.get("carol") == row("carol")
    assert caches.permissions.get("carol") == value("chat.delete")


def test_a_change_to_everyone_drops_everything() -> None:
    caches = started()
    caches.put_user("alice", 10, row("alice"))
    caches.api_keys.put("hash", "alice")
    caches.put_permissions("bob", 10, value())

    caches.apply(11, EVERYONE)

    assert (len(caches.users), len(caches.api_keys), len(caches.permissions)) == (0, 0, 0)


def test_a_change_naming_too_many_users_is_a_change_to_everyone() -> None:
    many = Invalidation.of(f"user-{n}" for n in range(MAX_NAMED_USERS + 1))

    assert many.everyone
    assert not Invalidation.of(["alice"]).everyone
    assert not Invalidation.of()


def test_an_entry_computed_before_a_change_that_touches_it_is_not_filed() -> None:
    caches = started()
    caches.apply(11, Invalidation.of(["alice"]))
    caches.apply(12, Invalidation.of(["bob"]))

    # Read at revision 10, filed after the changes were applied: alice's and bob's data may
    # predate them, carol's cannot have changed.
    caches.put_permissions("alice", 10, value("stale"))
    caches.put_permissions("bob", 11, value("stale"))
    caches.put_permissions("carol", 10, value("fine"))
    caches.put_permissions("dora", 12, value("fine"))

    assert caches.permissions.get("alice") is None
    assert caches.permissions.get("bob") is None
    assert caches.permissions.get("carol") == value("fine")
    assert caches.permissions.get("dora") == value("fine")


def test_an_entry_older_than_what_is_remembered_is_not_filed() -> None:
    caches = started()
    for revision in range(11, 11 + RECENT_CHANGES + 1):
        caches.apply(revision, Invalidation.of([f"user-{revision}"]))

    caches.put_user("alice", 10, row("alice"))  # before the oldest change still remembered
    caches.put_user("bob", 11 + RECENT_CHANGES, row("bob"))

    assert caches.users.get("alice") is None
    assert caches.users.get("bob") == row("bob")


def test_nothing_is_filed_from_before_the_caches_started() -> None:
    caches = started(10)

    caches.put_user("alice", 9, row("alice"))

    assert caches.users.get("alice") is None


def test_a_change_applied_twice_drops_once() -> None:
    caches = started()
    caches.apply(11, Invalidation.of(["alice"]))
    caches.put_user("alice", 11, row("alice"))  # recomputed after the change

    caches.apply(11, Invalidation.of(["alice"]))  # a second request caught up on it too

    assert caches.users.get("alice") == row("alice")
