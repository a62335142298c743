"""The audit trail as the admin page shows it: names where events hold ids, the fields an event
changed (before and after, nothing else), and the actions there are to filter by.

Pure functions over the events and the names looked up for them: the page reads the users and
groups an event names in one batch each, then builds its rows here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opengroups.audit.schemas import AuditEventResponse

# Every action recorded (``recorder.record``), as the action filter offers them; a test checks
# that each action the code records is here.
ACTIONS: dict[str, str] = {
    "auth.signin": "Signed in",
    "auth.signin.failure": "Sign-in failed",
    "auth.signin.locked": "Sign-in locked (too many failures)",
    "auth.signin.inactive": "Sign-in refused (inactive account)",
    "user.create": "User created",
    "user.update": "User changed",
    "user.delete": "User deleted",
    "user.signout": "Signed out everywhere",
    "user.api_key.create": "API key created",
    "user.api_key.delete": "API key deleted",
    "group.create": "Group created",
    "group.update": "Group changed",
    "group.delete": "Group deleted",
    "group.members.add": "Members added",
    "group.members.remove": "Members removed",
    "permissions.defaults.update": "Default permissions changed",
    "grants.set": "Access grants set",
    "config.update": "Settings changed",
    "transfer.import": "Bundle imported",
    "identity.sync": "Identity provider synced",
    "scim_client.create": "SCIM client created",
    "scim_client.revoke": "SCIM client revoked",
    "owui_target.create": "Open WebUI target registered",
    "owui_target.update": "Open WebUI target changed",
    "owui_target.delete": "Open WebUI target forgotten",
    "owui.apply": "Open WebUI target applied",
}
RESOURCE_TYPES: dict[str, str] = {
    "user": "Users",
    "group": "Groups",
    "auth": "Sign-ins",
    "config": "Settings",
    "bundle": "Imports",
    "identity_provider": "Identity providers",
    "scim_client": "SCIM clients",
    "owui_target": "Open WebUI targets",
}
# Fields whose values are the ids of users, or of groups (the last part of a dotted field).
USER_ID_FIELDS = frozenset({"user_id", "user_ids", "member_ids", "owner_id", "created_by"})
GROUP_ID_FIELDS = frozenset(
    {"group_id", "group_ids", "parent_group_id", "child_ids", "default_group_id"}
)
SYSTEM_ACTORS = {"system:cli": "command line"}
# Inline, a changed value is cut to this; the full value is in the row's details.
SHORT_VALUE = 80


@dataclass(frozen=True)
class Names:
    """The names of the users and groups the events of a page refer to, by id."""

    users: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str | None:
        return self.users.get(user_id)

    def group(self, group_id: str) -> str | None:
        return self.groups.get(group_id)


@dataclass(frozen=True)
class Named:
    """Someone or something an event names: what to call it, its admin page when it still
    exists, and the audit filter that shows only its events."""

    label: str
    href: str | None = None
    filter: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def short(self) -> str:
        return f"{self.field}: {_cut(self.before)} → {_cut(self.after)}"


@dataclass(frozen=True)
class EventRow:
    id: int
    when: str
    actor: Named
    action: str
    action_label: str
    resource: Named
    changes: list[Change]


def _cut(text: str) -> str:
    return text if len(text) <= SHORT_VALUE else text[: SHORT_VALUE - 1] + "…"


def _short_id(value: str) -> str:
    return value if len(value) <= 12 else value[:8] + "…"


def _is_user_field(name: str) -> bool:
    return name.rpartition(".")[2].lower() in USER_ID_FIELDS


def _is_group_field(name: str) -> bool:
    return name.rpartition(".")[2].lower() in GROUP_ID_FIELDS


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """``value`` as dotted fields to leaves; lists, empty objects and scalars are leaves (a
    scalar that is the whole value is the field ``value``; nothing, or ``{}``, has none)."""
    if isinstance(value, Mapping) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if prefix:
        return {prefix: value}
    return {} if value is None or isinstance(value, Mapping) else {"value": value}


def ids_of(events: Iterable[AuditEventResponse]) -> tuple[set[str], set[str]]:
    """The user ids and group ids that the events name, to look their names up."""
    users: set[str] = set()
    groups: set[str] = set()
    for event in events:
        if event.actor_id:
            users.add(event.actor_id)
        if event.resource_type == "user":
            users.add(event.resource_id)
        elif event.resource_type == "group":
            groups.add(event.resource_id)
        for side in (event.before, event.after):
            for name, value in _flat(side).items():
                values = value if isinstance(value, list) else [value]
                found = [item for item in values if isinstance(item, str)]
                if _is_user_field(name):
                    users.update(found)
                elif _is_group_field(name):
                    groups.update(found)
    return users, groups


def _text(name: str, value: Any, names: Names) -> str:
    """A field's value as a reader wants it: names for ids, lists as lists, ``—`` for none."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_text(name, item, names) for item in value) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if _is_user_field(name):
            return names.user(value) or f"user {_short_id(value)}"
        if _is_group_field(name):
            return names.group(value) or f"group {_short_id(value)}"
        return value
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(before: Any, after: Any, names: Names) -> list[Change]:
    """The fields that differ between ``before`` and ``after`` (a field one side lacks is
    none there), nested objects as dotted fields: those naming users or groups first, then by
    name (PostgreSQL's JSONB keeps keys in an order of its own, SQLite the event's)."""
    old, new = _flat(before), _flat(after)
    fields = sorted(
        {*old, *new},
        key=lambda name: (not (_is_user_field(name) or _is_group_field(name)), name),
    )
    return [
        Change(name, _text(name, old.get(name), names), _text(name, new.get(name), names))
        for name in fields
        if old.get(name) != new.get(name)
    ]


def _remembered(events: Iterable[AuditEventResponse], kind: str) -> dict[str, str]:
    """Names the events themselves hold for resources of ``kind`` (a deleted group's name is
    in its ``group.delete`` event)."""
    found: dict[str, str] = {}
    for event in events:
        if event.resource_type != kind:
            continue
        for side in (event.after, event.before):
            if isinstance(side, Mapping) and isinstance(side.get("name"), str):
                found.setdefault(event.resource_id, side["name"])
    return found


def _actor(actor_id: str | None, names: Names) -> Named:
    if actor_id is None:
        return Named("system")
    if actor_id in SYSTEM_ACTORS:
        return Named(SYSTEM_ACTORS[actor_id], filter={"actor_id": actor_id})
    name = names.user(actor_id)
    return Named(
        name or f"deleted user {_short_id(actor_id)}",
        href=f"/admin/users/{actor_id}" if name else None,
        filter={"actor_id": actor_id},
    )


# What one resource of a type is called in a row (before its name or id).
_SINGULAR = {
    "auth": "",
    "config": "setting",
    "bundle": "import",
    "identity_provider": "identity provider",
    "scim_client": "SCIM client",
    "owui_target": "Open WebUI target",
}


def _resource(event: AuditEventResponse, names: Names, remembered: Names) -> Named:
    kind, rid = event.resource_type, event.resource_id
    only = {"resource_type": kind, "resource_id": rid}
    if kind in ("group", "user"):
        name = names.group(rid) if kind == "group" else names.user(rid)
        if name:
            return Named(name, href=f"/admin/{kind}s/{rid}", filter=only)
        known = remembered.group(rid) if kind == "group" else remembered.user(rid)
        return Named(f"{known or _short_id(rid)} (deleted)", filter=only)
    label = _remembered([event], kind).get(rid) or rid
    return Named(f"{_SINGULAR.get(kind, kind)} {label}".strip(), filter=only)


def actor_label(actor_id: str, names: Names) -> str:
    """What the actor filter shows for ``actor_id``."""
    return _actor(actor_id, names).label


def resource_label(
    resource_type: str, resource_id: str, names: Names, shown: Iterable[EventRow]
) -> str:
    """What the resource filter shows for ``resource_id`` (of ``resource_type``, if given): its
    name, else what the events ``shown`` call it, else the id."""
    if resource_type in ("", "group") and names.group(resource_id):
        return names.group(resource_id) or resource_id
    if resource_type in ("", "user") and names.user(resource_id):
        return names.user(resource_id) or resource_id
    for row in shown:
        if row.resource.filter.get("resource_id") == resource_id:
            return row.resource.label
    return resource_id


def _when(occurred_at_ms: int) -> str:
    return datetime.fromtimestamp(occurred_at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def rows(events: list[AuditEventResponse], names: Names) -> list[EventRow]:
    """The events as the audit page lists them."""
    remembered = Names(users=_remembered(events, "user"), groups=_remembered(events, "group"))
    return [
        EventRow(
            id=event.id,
            when=_when(event.occurred_at),
            actor=_actor(event.actor_id, names),
            action=event.action,
            action_label=ACTIONS.get(event.action, event.action),
            resource=_resource(event, names, remembered),
            changes=changes(event.before, event.after, names),
        )
        for event in events
    ]
