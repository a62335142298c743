"""The two sides a plan compares, as plain data: what opengroups says a target should hold
(``Desired``) and what the target holds (``Actual``), and which groups a target receives
(``Scope``). Ownership is carried by the target's groups themselves: ``data.opengroups``
(``MARKER``) names the opengroups group and the revision last applied."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MARKER = "opengroups"
# The keys of ``data.config`` opengroups decides; any other key of the target's is kept.
MANAGED_CONFIG_KEYS = ("share", "default_models")


def name_key(name: str) -> str:
    """A group's identity by name, as opengroups compares names (case-insensitive)."""
    return name.casefold()


def email_key(email: str) -> str:
    """Users are matched by e-mail, ignoring case."""
    return email.strip().casefold()


# --- scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which opengroups groups a target receives: all, those whose name starts with a prefix
    (ignoring case), or those named."""

    kind: Literal["all", "prefix", "groups"] = "all"
    prefix: str = ""
    names: tuple[str, ...] = ()

    @classmethod
    def stored(cls, value: Mapping[str, Any]) -> Scope:
        """The scope from its stored form (``to_stored``)."""
        if "prefix" in value:
            return cls("prefix", prefix=str(value["prefix"]))
        if "groups" in value:
            return cls("groups", names=tuple(str(name) for name in value["groups"]))
        return cls()

    def to_stored(self) -> dict[str, Any]:
        if self.kind == "prefix":
            return {"prefix": self.prefix}
        if self.kind == "groups":
            return {"groups": list(self.names)}
        return {"all": True}

    def includes(self, name: str) -> bool:
        if self.kind == "prefix":
            return name_key(name).startswith(name_key(self.prefix))
        if self.kind == "groups":
            return name_key(name) in {name_key(n) for n in self.names}
        return True

    def describe(self) -> str:
        if self.kind == "prefix":
            return f"prefix:{self.prefix}"
        if self.kind == "groups":
            return ", ".join(self.names)
        return "all"


# --- the two states --------------------------------------------------------------------------


@dataclass(frozen=True)
class DesiredGroup:
    """An opengroups group as the target should hold it. ``parent_id``: the opengroups id of
    its parent, None when it has none in scope; ``member_emails``: its direct members'
    e-mails, as ``email_key`` gives them."""

    id: str
    name: str
    description: str
    permissions: dict[str, Any]
    config: dict[str, Any]
    parent_id: str | None
    revision: int
    member_emails: frozenset[str]


@dataclass(frozen=True)
class Desired:
    """``names``: the members' names by ``email_key``, for accounts created on the target."""

    groups: tuple[DesiredGroup, ...]
    default_permissions: dict[str, Any]
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetGroup:
    """A group as the target answers it. ``member_ids`` is read only for the groups a plan
    may touch (``groups_to_read``); None for the others."""

    id: str
    name: str
    description: str
    permissions: dict[str, Any] | None
    data: dict[str, Any] | None
    parent_group_id: str | None
    member_ids: frozenset[str] | None = None

    @property
    def marker(self) -> dict[str, Any] | None:
        value = (self.data or {}).get(MARKER)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return value
        return None


@dataclass(frozen=True)
class Actual:
    """The target: its groups, its users (``email_key`` → target user id) and its defaults."""

    groups: tuple[TargetGroup, ...]
    users: Mapping[str, str]
    default_permissions: dict[str, Any]


def desired_config(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keys of ``data.config`` a target receives from an opengroups group's ``data``."""
    config = (data or {}).get("config") or {}
    return {key: config[key] for key in MANAGED_CONFIG_KEYS if key in config}


def groups_to_read(actual_groups: Iterable[TargetGroup], adopt: Collection[str]) -> list[str]:
    """The target groups whose members a plan needs: the managed ones and those to adopt."""
    wanted = {name_key(name) for name in adopt}
    return [g.id for g in actual_groups if g.marker is not None or name_key(g.name) in wanted]
