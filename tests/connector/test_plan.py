"""The plan as pure functions over plain data."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pytest

from opengroups.connector.keys import KeyUnreadable, decrypt_api_key, encrypt_api_key
from opengroups.connector.plan import compute_plan, defaults_differ
from opengroups.connector.state import Actual, Desired, DesiredGroup, Scope, TargetGroup


def desired(*groups: DesiredGroup) -> Desired:
    return Desired(groups=groups, default_permissions={"chat": {"x": True}})


def group(
    gid: str,
    name: str,
    *,
    parent: str | None = None,
    members: Collection[str] = (),
    revision: int = 1,
) -> DesiredGroup:
    return DesiredGroup(
        id=gid,
        name=name,
        description="",
        permissions={},
        config={"share": True},
        parent_id=parent,
        revision=revision,
        member_emails=frozenset(members),
    )


def held(
    tid: str,
    name: str,
    marker: dict[str, Any] | None,
    *,
    parent: str | None = None,
    members: frozenset[str] = frozenset(),
) -> TargetGroup:
    data: dict[str, Any] = {"config": {"share": True}}
    if marker is not None:
        data["opengroups"] = marker
    return TargetGroup(tid, name, "", {}, data, parent, members)


def actual(*groups: TargetGroup, users: dict[str, str] | None = None) -> Actual:
    return Actual(groups=groups, users=users or {}, default_permissions={"chat": {"x": True}})


def test_parents_are_created_before_children_and_deletions_come_first() -> None:
    plan = compute_plan(
        desired(group("c", "Child", parent="p"), group("p", "Parent")),
        actual(
            held("t1", "Old", {"id": "gone", "revision": 1}),
            held("t2", "Old child", {"id": "gone2", "revision": 1}, parent="t1"),
        ),
    )
    assert [(a.kind, a.group) for a in plan.actions] == [
        ("delete", "Old child"),
        ("delete", "Old"),
        ("create", "Parent"),
        ("create", "Child"),
    ]


def test_members_come_before_the_marker_and_missing_users_are_reported() -> None:
    plan = compute_plan(
        desired(group("g", "G", members={"a@x.org", "b@x.org"}, revision=4)),
        actual(users={"a@x.org": "ua"}),
    )
    create, add, mark = plan.actions
    assert create.fields is not None
    assert create.fields.marker_revision == 0
    assert add.user_ids == ("ua",)
    assert mark.kind == "mark"
    assert mark.fields is not None
    assert mark.fields.marker_revision == 4
    assert plan.missing_users == ("b@x.org",)


def test_a_difference_at_the_recorded_revision_is_drift() -> None:
    wanted = group("g", "G", members={"a@x.org"}, revision=3)
    users = {"a@x.org": "ua", "b@x.org": "ub"}
    on_target = held("t", "g!", {"id": "g", "revision": 3}, members=frozenset({"ua", "ub"}))
    plan = compute_plan(desired(wanted), actual(on_target, users=users))
    (drift,) = plan.drift
    assert drift.fields == ("name",)
    assert drift.extra_members == ("b@x.org",)
    behind = held("t", "g!", {"id": "g", "revision": 2}, members=frozenset({"ua", "ub"}))
    assert not compute_plan(desired(wanted), actual(behind, users=users)).drift


def test_an_unmarked_group_is_untouched_unless_adopted() -> None:
    theirs = held("t", "Sales", None)
    plan = compute_plan(desired(group("g", "Sales")), actual(theirs))
    assert plan.empty
    assert plan.conflicts == ("Sales",)
    adopted = compute_plan(desired(group("g", "Sales")), actual(theirs), adopt=["SALES"])
    (mark,) = adopted.actions
    assert mark.kind == "mark"
    assert mark.target_id == "t"


def test_an_up_to_date_group_plans_nothing() -> None:
    on_target = held("t", "G", {"id": "g", "revision": 1})
    assert compute_plan(desired(group("g", "G")), actual(on_target)).empty


@pytest.mark.parametrize(
    ("scope", "name", "included"),
    [
        (Scope(), "Anything", True),
        (Scope("prefix", prefix="owui-"), "OWUI-chat", True),
        (Scope("prefix", prefix="owui-"), "chat", False),
        (Scope("groups", names=("Sales",)), "sales", True),
        (Scope("groups", names=("Sales",)), "Support", False),
    ],
)
def test_scope(scope: Scope, name: str, included: bool) -> None:
    assert scope.includes(name) is included
    assert Scope.stored(scope.to_stored()) == scope


def test_defaults_compare_only_the_keys_opengroups_has() -> None:
    assert not defaults_differ({"a": {"b": True}}, {"a": {"b": True, "c": False}})
    assert defaults_differ({"a": {"b": True}}, {"a": {"b": False}})


def test_the_key_is_encrypted_with_the_instance_secret() -> None:
    token = encrypt_api_key("sk-123", secret="s1")
    assert "sk-123" not in token
    assert decrypt_api_key(token, secret="s1", target="t") == "sk-123"
    with pytest.raises(KeyUnreadable):
        decrypt_api_key(token, secret="s2", target="t")


def test_a_marked_group_outside_the_scope_is_another_targets() -> None:
    """Two prefix targets on one Open WebUI: each deletes only its own stale groups."""
    plan = compute_plan(
        desired(group("a", "team-a")),
        actual(
            held("t1", "team-a", {"id": "a", "revision": 1}),
            held("t2", "team-gone", {"id": "gone", "revision": 1}),
            held("t3", "ops-x", {"id": "x", "revision": 1}),
        ),
        scope=Scope("prefix", prefix="team-"),
    )
    assert [(a.kind, a.group) for a in plan.actions] == [("delete", "team-gone")]
    assert plan.target_ids == {"a": "t1"}


def test_default_keys_the_target_lacks_are_not_a_difference() -> None:
    ours = {"chat": {"x": True, "later": True}, "new": {"y": False}}
    assert not defaults_differ(ours, {"chat": {"x": True}})
    assert defaults_differ(ours, {"chat": {"x": False}})
    assert defaults_differ(ours, {"chat": {"x": True}, "new": {"y": True}})
