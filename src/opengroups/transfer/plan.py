"""Checking a bundle before anything is written: its format, each group on its own, and the
hierarchy it would make together with the instance's groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from opengroups.errors import InvalidInput
from opengroups.groups.hierarchy import CycleError, depths
from opengroups.groups.names import name_key
from opengroups.groups.schemas import normalize_group_data
from opengroups.permissions import Authz
from opengroups.transfer.schemas import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    Bundle,
    BundleGroup,
    OpenWebUIGroupExport,
)


class InvalidBundle(InvalidInput):
    """422 naming the item that is wrong; the CLI turns it into exit code 2."""


def parse_payload(payload: Any) -> Bundle:
    """An opengroups bundle, or Open WebUI's ``GroupExportResponse`` (one or a list).

    Raises ``InvalidBundle``.
    """
    try:
        if isinstance(payload, dict) and "format" in payload:
            if payload.get("format") != BUNDLE_FORMAT:
                raise InvalidBundle(f"Unknown bundle format {payload.get('format')!r}.")
            if payload.get("version") != BUNDLE_VERSION:
                raise InvalidBundle(
                    f"Unknown bundle format version {payload.get('version')!r}; "
                    f"this instance reads version {BUNDLE_VERSION}."
                )
            return Bundle.model_validate(payload)
        items = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(item, dict) for item in items):
            raise InvalidBundle("Expected a bundle, a group export object or a list of them.")
        exports = TypeAdapter(list[OpenWebUIGroupExport]).validate_python(items)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidBundle(f"{where}: {first['msg']}") from exc
    return Bundle(groups=[export.as_bundle_group() for export in exports])


@dataclass
class Plan:
    """What validation resolved, shared by the apply steps."""

    groups: list[BundleGroup]
    data: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    permissions: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    defaults: dict[str, Any] | None = None


def validate(bundle: Bundle, authz: Authz) -> Plan:
    """Check every group on its own: ids and names unique in the bundle, data and permissions
    valid. Raises ``InvalidBundle`` naming the group."""
    plan = Plan(groups=bundle.groups)
    seen_ids: set[str] = set()
    seen_names: dict[str, str] = {}
    for group in bundle.groups:
        label = f"group '{group.name}' ({group.id})"
        if group.id in seen_ids:
            raise InvalidBundle(f"{label}: the id appears twice in the bundle.")
        seen_ids.add(group.id)
        key = name_key(group.name)
        if not key:
            raise InvalidBundle(f"{label}: the name is blank.")
        if key in seen_names:
            raise InvalidBundle(f"{label}: the name is also used by group {seen_names[key]}.")
        seen_names[key] = group.id
        try:
            plan.data[group.id] = normalize_group_data(group.data)
        except ValueError as exc:
            raise InvalidBundle(f"{label}: {exc}") from exc
        if group.permissions is not None:
            try:
                plan.permissions[group.id] = authz.validated(group.permissions)
            except InvalidInput as exc:
                raise InvalidBundle(f"{label}: {exc.message}") from exc
        else:
            plan.permissions[group.id] = None
    if bundle.default_permissions is not None:
        try:
            plan.defaults = authz.validated(bundle.default_permissions, field="default_permissions")
        except InvalidInput as exc:
            raise InvalidBundle(exc.message) from exc
    return plan


def order_and_check_hierarchy(
    groups: list[BundleGroup],
    target_id: dict[str, str],
    parents: dict[str, str | None],
    max_depth: int,
) -> list[BundleGroup]:
    """Parents before children; refuse unknown parents, cycles and too deep a tree.

    ``parents`` is the whole instance's hierarchy with the bundle's applied on top.
    """
    by_target = {target_id[g.id]: g for g in groups}
    for group in groups:
        parent = group.parent_group_id
        if parent is not None and parent not in target_id and parent not in parents:
            raise InvalidBundle(
                f"group '{group.name}' ({group.id}): unknown parent group '{parent}'."
            )
    try:
        depth = depths((target_id[g.id] for g in groups), parents)
    except CycleError as exc:
        names = [by_target[g].name if g in by_target else str(g) for g in exc.trail]
        raise InvalidBundle(f"The bundle makes a cycle: {' -> '.join(names)}.") from exc
    for group in groups:
        level = depth[target_id[group.id]]
        if level > max_depth:
            raise InvalidBundle(
                f"group '{group.name}' ({group.id}) would be {level} levels deep; "
                f"at most {max_depth} are allowed."
            )
    return sorted(groups, key=lambda g: depth[target_id[g.id]])
