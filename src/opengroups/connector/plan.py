"""What applying opengroups to a target would change: pure functions over plain data.

The desired state is opengroups' groups in the target's scope and its default permissions; the
actual state is what the target answers. Ownership is carried by the target's groups
themselves: every group opengroups manages there has ``data.opengroups = {"id": <opengroups
group id>, "revision": <revision>}``. A target group without that marker is never touched,
unless the operator adopts it by name (it then gets the marker).

The marker's ``revision`` is the opengroups revision the target group last matched in full
(fields and members; 0: never yet). So when it equals the group's revision in opengroups, any
difference was made on the target by someone else: drift, reported and then reverted. The
marker is therefore written last, after the members: an apply cut short leaves an older
revision behind, and the next plan does not mistake the unfinished work for drift.

Actions come in an order the target can follow: deletions first (children before parents, and
so that a name freed by a deleted group can be taken by a new one), then creations (parents
before children), field updates (parents first, so a re-parenting never meets a cycle),
members, markers, and the default permissions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from opengroups.connector.state import (
    Actual,
    Desired,
    DesiredGroup,
    Scope,
    TargetGroup,
    name_key,
)

ActionKind = Literal[
    "delete", "create", "update", "add_members", "remove_members", "mark", "default_permissions"
]


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupFields:
    """The fields opengroups sends for a group; ``parent_id`` is an opengroups id, resolved to
    the target's id when the action runs (the parent may be created by the same apply)."""

    name: str
    description: str
    permissions: dict[str, Any]
    config: dict[str, Any]
    parent_id: str | None
    marker_revision: int

    def marker(self, og_id: str) -> dict[str, Any]:
        return {"id": og_id, "revision": self.marker_revision}


@dataclass(frozen=True)
class Action:
    """One request to the target. ``og_id``: the opengroups group it concerns; ``target_id``:
    the target's group, None for a group this apply creates (resolved through ``og_id``)."""

    kind: ActionKind
    group: str = ""
    og_id: str | None = None
    target_id: str | None = None
    fields: GroupFields | None = None
    user_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    permissions: dict[str, Any] | None = None

    def describe(self) -> str:
        """What it does, in a few words (for tables and reports)."""
        if self.kind in ("add_members", "remove_members"):
            return ", ".join(self.emails)
        if self.kind == "update":
            return ", ".join(self.changes)
        if self.kind == "mark" and self.fields is not None:
            return f"revision {self.fields.marker_revision}"
        return ""


@dataclass(frozen=True)
class Drift:
    """A managed group changed on the target since opengroups last applied it: the fields that
    differ, and the members (e-mails, or ids the target knows no e-mail for) the target has in
    excess or lacks."""

    group: str
    target_id: str
    fields: tuple[str, ...]
    extra_members: tuple[str, ...] = ()
    lacking_members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    drift: tuple[Drift, ...] = ()
    # Members opengroups has that the target has no account for (``email_key``), sorted.
    missing_users: tuple[str, ...] = ()
    # Groups in scope whose name an unmanaged target group holds: left alone (adopt them).
    conflicts: tuple[str, ...] = ()
    # Names given to ``adopt`` that match no unmanaged target group in scope.
    not_adoptable: tuple[str, ...] = ()
    # The target's id of each opengroups group it already holds (managed or adopted): how an
    # action finds the parent it names when the parent itself has nothing to do.
    target_ids: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.actions

    def counts(self) -> dict[str, int]:
        """Actions per kind, and the members they add and remove."""
        counts: dict[str, int] = defaultdict(int)
        for action in self.actions:
            counts[action.kind] += 1
            if action.kind in ("add_members", "remove_members"):
                counts[f"{action.kind}.users"] += len(action.user_ids)
        return dict(counts)


# --- computing it ----------------------------------------------------------------------------


def _adopted(
    actual: Actual, desired: Desired, adopt: Collection[str]
) -> tuple[dict[str, TargetGroup], list[str]]:
    """``{desired group id: unmanaged target group}`` for the names in ``adopt``, and the names
    that match nothing adoptable."""
    wanted = {name_key(name) for name in adopt}
    by_name = {name_key(g.name): g for g in desired.groups}
    found: dict[str, TargetGroup] = {}
    for group in actual.groups:
        key = name_key(group.name)
        if group.marker is None and key in wanted and key in by_name:
            found.setdefault(by_name[key].id, group)
    matched = {name_key(group.name) for group in found.values()}
    return found, sorted(name for name in adopt if name_key(name) not in matched)


def _parents_first(groups: Sequence[DesiredGroup]) -> list[DesiredGroup]:
    ids = {group.id for group in groups}
    children: dict[str | None, list[DesiredGroup]] = defaultdict(list)
    for group in groups:
        children[group.parent_id if group.parent_id in ids else None].append(group)
    ordered: list[DesiredGroup] = []
    level = sorted(children[None], key=lambda g: name_key(g.name))
    while level:
        ordered += level
        level = sorted(
            (child for g in level for child in children[g.id]), key=lambda g: name_key(g.name)
        )
    return ordered


def _depth(group: TargetGroup, parents: Mapping[str, str | None]) -> int:
    depth, seen, current = 0, {group.id}, parents.get(group.id)
    while current is not None and current in parents and current not in seen:
        seen.add(current)
        depth += 1
        current = parents[current]
    return depth


def _field_changes(
    group: DesiredGroup, current: TargetGroup, parent_target_id: str | None
) -> list[str]:
    """The fields of the target group that differ from what opengroups says."""
    config = (current.data or {}).get("config") or {}
    changes = []
    if current.name != group.name:
        changes.append("name")
    if (current.description or "") != group.description:
        changes.append("description")
    if (current.permissions or {}) != group.permissions:
        changes.append("permissions")
    if any(config.get(key) != value for key, value in group.config.items()):
        changes.append("share" if list(group.config) == ["share"] else "config")
    if current.parent_group_id != parent_target_id:
        changes.append("parent")
    return changes


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            found.update(_leaves(value, path))
        else:
            found[path] = value
    return found


def defaults_differ(desired: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    """Whether the target's defaults differ from opengroups' on a key both know: a key only
    the target knows (a wider catalog) is not opengroups' to judge, and one only opengroups
    knows (a later version's) the target cannot hold, so it would differ forever."""
    theirs = _leaves(actual)
    return any(path in theirs and theirs[path] != value for path, value in _leaves(desired).items())


def compute_plan(
    desired: Desired, actual: Actual, *, scope: Scope | None = None, adopt: Collection[str] = ()
) -> Plan:
    """The actions that bring ``actual`` to ``desired`` for the groups opengroups manages
    there, the drift found on them, the members the target has no account for, and the
    desired groups left alone because an unmanaged group holds their name.

    A marked group whose opengroups group is not desired is deleted only when its name is in
    ``scope`` (the target's; None: every name): several targets with different prefixes may
    share one Open WebUI, and each leaves the others' groups alone."""
    adopted, not_adoptable = _adopted(actual, desired, adopt)
    desired_ids = {group.id for group in desired.groups}
    managed: dict[str, TargetGroup] = {}
    stale: list[TargetGroup] = []
    for held in actual.groups:
        marker = held.marker
        if marker is None:
            continue
        if marker["id"] in desired_ids and marker["id"] not in managed:
            managed[marker["id"]] = held
        elif scope is None or scope.includes(held.name):
            stale.append(held)
    managed.update(adopted)
    taken_by_others = {
        name_key(g.name): g
        for g in actual.groups
        if g.marker is None and g.id not in {a.id for a in adopted.values()}
    }

    conflicts: list[str] = []
    ordered: list[DesiredGroup] = []
    for group in _parents_first(desired.groups):
        if group.id not in managed and name_key(group.name) in taken_by_others:
            conflicts.append(group.name)
        else:
            ordered.append(group)
    kept = {group.id for group in ordered}
    # A parent left out (a conflict) makes its children top-level until it is adopted.
    parent_of = {g.id: (g.parent_id if g.parent_id in kept else None) for g in ordered}

    deletes, creates, updates, members, marks = [], [], [], [], []
    drift: list[Drift] = []
    missing: set[str] = set()
    emails_by_id = {uid: email for email, uid in actual.users.items()}

    parents = {g.id: g.parent_group_id for g in actual.groups}
    for old in sorted(stale, key=lambda g: (-_depth(g, parents), name_key(g.name))):
        deletes.append(Action("delete", group=old.name, target_id=old.id))

    for group in ordered:
        wanted_ids = {actual.users[e]: e for e in group.member_emails if e in actual.users}
        missing.update(e for e in group.member_emails if e not in actual.users)
        parent_id = parent_of[group.id]
        current = managed.get(group.id)
        if current is None:
            # Members are added after the creation; the marker's revision follows them.
            final = group.revision if not wanted_ids else 0
            creates.append(
                Action(
                    "create",
                    group=group.name,
                    og_id=group.id,
                    fields=_fields(group, parent_id, final),
                )
            )
            if wanted_ids:
                members.append(_members("add_members", group, None, wanted_ids))
                marks.append(
                    Action(
                        "mark",
                        group=group.name,
                        og_id=group.id,
                        fields=_fields(group, parent_id, group.revision),
                    )
                )
            continue

        parent_target = managed[parent_id].id if parent_id in managed else None
        changes = _field_changes(group, current, parent_target)
        if parent_id is not None and parent_id not in managed:
            changes = [*dict.fromkeys([*changes, "parent"])]  # its parent is created now
        actual_ids = current.member_ids or frozenset()
        to_add = {uid: e for uid, e in wanted_ids.items() if uid not in actual_ids}
        to_remove = sorted(actual_ids - wanted_ids.keys())
        marker = current.marker
        recorded = marker.get("revision") if marker else None
        if marker is not None and recorded == group.revision and (changes or to_add or to_remove):
            drift.append(
                Drift(
                    group=current.name,
                    target_id=current.id,
                    fields=tuple(changes),
                    extra_members=tuple(emails_by_id.get(uid, uid) for uid in to_remove),
                    lacking_members=tuple(sorted(to_add.values())),
                )
            )
        member_changes = bool(to_add or to_remove)
        up_to_date = recorded == group.revision and marker is not None
        if changes:
            # Without member changes, the update itself records the new revision.
            revision = (
                group.revision
                if not member_changes
                else recorded
                if isinstance(recorded, int)
                else 0
            )
            if current.id in {a.id for a in adopted.values()}:
                changes = [*changes, "adopt"]
            updates.append(
                Action(
                    "update",
                    group=group.name,
                    og_id=group.id,
                    target_id=current.id,
                    fields=_fields(group, parent_id, revision),
                    changes=tuple(changes),
                )
            )
        if to_add:
            members.append(_members("add_members", group, current.id, to_add))
        if to_remove:
            members.append(
                Action(
                    "remove_members",
                    group=group.name,
                    og_id=group.id,
                    target_id=current.id,
                    user_ids=tuple(to_remove),
                    emails=tuple(emails_by_id.get(uid, uid) for uid in to_remove),
                )
            )
        if member_changes or (not changes and not up_to_date):
            marks.append(
                Action(
                    "mark",
                    group=group.name,
                    og_id=group.id,
                    target_id=current.id,
                    fields=_fields(group, parent_id, group.revision),
                )
            )

    tail: list[Action] = []
    if defaults_differ(desired.default_permissions, actual.default_permissions):
        tail.append(Action("default_permissions", permissions=desired.default_permissions))
    return Plan(
        actions=tuple(deletes + creates + updates + members + marks + tail),
        drift=tuple(drift),
        missing_users=tuple(sorted(missing)),
        conflicts=tuple(conflicts),
        not_adoptable=tuple(not_adoptable),
        target_ids={og_id: held.id for og_id, held in managed.items() if og_id in kept},
    )


def _fields(group: DesiredGroup, parent_id: str | None, revision: int) -> GroupFields:
    return GroupFields(
        name=group.name,
        description=group.description,
        permissions=group.permissions,
        config=group.config,
        parent_id=parent_id,
        marker_revision=revision,
    )


def _members(
    kind: ActionKind, group: DesiredGroup, target_id: str | None, ids: Mapping[str, str]
) -> Action:
    ordered = sorted(ids, key=lambda uid: ids[uid])
    return Action(
        kind,
        group=group.name,
        og_id=group.id,
        target_id=target_id,
        user_ids=tuple(ordered),
        emails=tuple(ids[uid] for uid in ordered),
    )
