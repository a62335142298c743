"""The admin page's HTML forms turned into the API's own schemas, in one place: a form is
checked by the same models (and then the same services) as the JSON it stands for."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from opengroups.connector.schemas import AdoptForm, TargetForm
from opengroups.groups.schemas import GroupForm, GroupUpdateForm
from opengroups.permissions import Catalog, PermissionTree
from opengroups.permissions.share import SHARE_TRUE

# The radio buttons of "Who may see and share to it".
SHARE_CHOICES = [("true", "Anyone"), ("members", "Members only"), ("false", "No one")]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def lines(form: FormData, name: str) -> list[str]:
    """A textarea's non-blank lines, stripped (group names, one per line)."""
    return [line.strip() for line in text(form, name).splitlines() if line.strip()]


def _group_fields(form: FormData) -> dict[str, Any]:
    return {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "parent_group_id": text(form, "parent_group_id") or None,
        # Checked by the schema, as the API's ``data.config.share`` is.
        "data": {"config": {"share": text(form, "share") or SHARE_TRUE}},
    }


def group_form(form: FormData) -> GroupForm:
    """The "New group" form. Raises ``ValidationError``."""
    return GroupForm.model_validate(_group_fields(form))


def group_update_form(form: FormData) -> GroupUpdateForm:
    """A group's settings form (name, description, parent, share). Raises ``ValidationError``."""
    return GroupUpdateForm.model_validate(_group_fields(form))


def checked_keys(form: FormData, catalog: Catalog) -> list[str]:
    """The catalog keys whose toggle (``perm:<key>``) is on, in catalog order."""
    return [key for key in catalog.defaults if form.get(f"perm:{key}") == "on"]


def permissions_form(form: FormData, catalog: Catalog) -> GroupUpdateForm:
    """A group's permission toggles: the keys switched on, as a sparse tree."""
    return GroupUpdateForm.model_validate(
        {"permissions": catalog.sparse(checked_keys(form, catalog))}
    )


def defaults_tree(form: FormData, catalog: Catalog) -> PermissionTree:
    """The defaults form: every key on or off."""
    on = set(checked_keys(form, catalog))
    return catalog.render({key: key in on for key in catalog.defaults})


def member_ids(form: FormData) -> list[str]:
    """The user the members form names."""
    return [text(form, "user_id")]


def target_form(form: FormData) -> TargetForm:
    """The "Register a target" form: a prefix, a list of group names (one per line), or
    neither (all groups); blank minutes mean applied by hand only. Raises ``ValidationError``."""
    return TargetForm.model_validate(
        {
            "name": text(form, "name"),
            "base_url": text(form, "base_url"),
            "api_key": text(form, "api_key"),
            "prefix": text(form, "prefix") or None,
            "groups": lines(form, "groups") or None,
            "reconcile_minutes": text(form, "reconcile_minutes") or None,
            "create_missing_users": form.get("create_missing_users") == "on",
        }
    )


def adopt_form(form: FormData) -> AdoptForm:
    """The unmanaged groups to adopt, one name per line, as the API's plan and apply take
    them. Raises ``ValidationError``."""
    return AdoptForm.model_validate({"adopt": lines(form, "adopt")})
