"""The admin page's HTML forms turned into the API's own schemas, in one place: a form is
checked by the same models (and then the same services) as the JSON it stands for."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from starlette.datastructures import FormData

from opengroups.auths.schemas import AddUserForm
from opengroups.connector.schemas import AdoptForm, TargetForm, TargetUpdateForm
from opengroups.errors import InvalidInput
from opengroups.groups.schemas import GroupForm, GroupUpdateForm
from opengroups.permissions import Catalog, PermissionTree
from opengroups.permissions.share import SHARE_TRUE
from opengroups.users.schemas import UserUpdateForm

# The radio buttons of "Who may see and share to it".
SHARE_CHOICES = [("true", "Anyone"), ("members", "Members only"), ("false", "No one")]
# ``Bea Member <bea@example.com>``: a name, and the address in angle brackets.
_NAMED_ADDRESS = re.compile(r"(.*?)\s*<([^<>]+)>")
# Entries of a pasted list: up to a comma, semicolon or line end, save inside quotes.
_ENTRY = re.compile(r'(?:"[^"]*"|[^,;\n"])+')


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def secret(form: FormData, name: str) -> str:
    """A password field as typed: never stripped (its blanks are part of it)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


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
    """The users a members form names: every ``user_id`` (the boxes ticked among the users
    found, or the one member to remove), blanks left out, each once."""
    values = (value.strip() for value in form.getlist("user_id") if isinstance(value, str))
    return list(dict.fromkeys(value for value in values if value))


def pasted_addresses(form: FormData, name: str = "emails") -> list[tuple[str, str]]:
    """A pasted list of e-mail addresses, one per line or separated by commas or semicolons
    (``Name <address>`` as a mail program copies them): ``(name, address)`` of each entry, in
    order, the name blank when none is given."""
    entries: list[tuple[str, str]] = []
    for entry in _ENTRY.findall(text(form, name)):
        named = _NAMED_ADDRESS.fullmatch(entry.strip())
        person, address = (named.group(1), named.group(2)) if named else ("", entry)
        if address.strip():
            entries.append((person.strip().strip('"').strip(), address.strip()))
    return entries


def members_csv(entries: list[tuple[str, str]]) -> str:
    """``(name, address)`` entries as the CSV the member import takes (``Name,Email``), one
    row per entry: the import adds those it finds and reports every other one by its row."""
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(["Name", "Email"])
    writer.writerows(entries)
    return rows.getvalue()


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


def target_settings_form(form: FormData) -> TargetUpdateForm:
    """A target's "Settings" form: its address, minutes (blank: applied by hand only) and
    the creation of missing users are always set; a blank API key is left out, so the stored
    key stays. Raises ``ValidationError``."""
    fields: dict[str, Any] = {
        "base_url": text(form, "base_url"),
        "reconcile_minutes": text(form, "reconcile_minutes") or None,
        "create_missing_users": form.get("create_missing_users") == "on",
    }
    if api_key := text(form, "api_key"):
        fields["api_key"] = api_key
    return TargetUpdateForm.model_validate(fields)


def adopt_form(form: FormData) -> AdoptForm:
    """The unmanaged groups to adopt, one name per line, as the API's plan and apply take
    them. Raises ``ValidationError``."""
    return AdoptForm.model_validate({"adopt": lines(form, "adopt")})


def new_user_form(form: FormData) -> AddUserForm:
    """The "New user" form: name, e-mail, password and role, as ``POST /auths/add`` takes
    them. Raises ``ValidationError``."""
    return AddUserForm.model_validate(
        {
            "name": text(form, "name"),
            "email": text(form, "email"),
            "password": secret(form, "password"),
            "role": text(form, "role"),
        }
    )


def role_form(form: FormData) -> UserUpdateForm:
    """A user's role select, as ``POST /users/{id}/update`` takes it. Raises
    ``ValidationError`` (a role that is not pending, user or admin)."""
    return UserUpdateForm.model_validate({"role": text(form, "role")})


def password_form(form: FormData) -> UserUpdateForm:
    """The "Set a new password" form: the password typed twice. Raises ``InvalidInput`` when
    it is missing or the two differ, ``ValidationError``."""
    password, again = secret(form, "password"), secret(form, "password_again")
    if not password:
        raise InvalidInput("Type the new password twice, or generate one.")
    if password != again:
        raise InvalidInput("The two passwords differ: nothing was changed.")
    return UserUpdateForm.model_validate({"password": password})
