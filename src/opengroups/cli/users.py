"""``opengroups users ...``: accounts from the console, through the same services as the API.

Passwords never have to be on the command line (where other users of the machine see them in
the process list): they are asked twice at the terminal, or read from the first line of
standard input (``--password-stdin``). ``users create --password`` stays for the scripts that
used it, deprecated.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.auths import service as auths_service
from opengroups.auths.schemas import AddUserForm
from opengroups.bootstrap import Runtime
from opengroups.cli.exits import fail, warn
from opengroups.cli.runner import Work, checked
from opengroups.errors import OpenGroupsError
from opengroups.models import User
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service
from opengroups.users.schemas import UserGroupIdsModel, UserUpdateForm

PAGE_SIZE = 500


def read_password(*, ask: bool, stdin: bool, deprecated: str | None = None) -> str | None:
    """The password from the one source given: asked twice at the terminal (``ask``), the
    first line of standard input (``stdin``), or the deprecated ``--password`` value. None
    when no source is given. Exits 2 on several sources, an empty line, or ``ask`` without a
    terminal."""
    if ask + stdin + (deprecated is not None) > 1:
        raise fail("give the password one way: --ask-password, --password-stdin or --password.")
    if deprecated is not None:
        warn(
            "--password is deprecated: other users of this machine can read it; use "
            "--password-stdin or --ask-password."
        )
        return deprecated
    if stdin:
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not line:
            raise fail("no password on the first line of standard input.")
        return line
    if ask:
        if not sys.stdin.isatty():
            raise fail("no terminal to ask the password at: give it with --password-stdin.")
        password: str = typer.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True
        )
        return password
    return None


async def _user(session: AsyncSession, email: str) -> User:
    user = await users_repository.get_user_by_email(session, email)
    if user is None:
        raise OpenGroupsError(f"No user with the e-mail '{email}'.", 404)
    return user


def create_user(*, email: str, name: str, role: str, password: str | None) -> Work[str]:
    """Checked as ``POST /auths/add`` checks its body; the work returns the new id. Exits 2 on
    bad input."""
    form = checked(AddUserForm, email=email, name=name, role=role, password=password or "unused")

    async def work(session: AsyncSession, runtime: Runtime) -> str:
        password_hash = (
            await runtime.passwords.hash_new(password, email=form.email) if password else None
        )
        user = await users_service.register_user(
            session,
            name=form.name,
            email=form.email,
            role=form.role,
            password_hash=password_hash,
            settings=runtime.settings,
        )
        return user.id

    return work


def create_api_key(email: str) -> Work[str]:
    async def work(session: AsyncSession, _runtime: Runtime) -> str:
        user = await _user(session, email)
        return await auths_service.create_api_key(session, None, None, user_id=user.id)

    return work


def list_users(*, search: str | None) -> Work[list[UserGroupIdsModel]]:
    """Every user (or those whose name or e-mail contains ``search``), oldest first, read a
    page at a time."""

    async def work(session: AsyncSession, _runtime: Runtime) -> list[UserGroupIdsModel]:
        found: list[UserGroupIdsModel] = []
        page = 1
        while True:
            batch = await users_service.list_users(
                session,
                query=search,
                order_by="created_at",
                direction="asc",
                page=page,
                page_size=PAGE_SIZE,
            )
            found.extend(batch.users)
            if not batch.users or len(found) >= batch.total:
                return found
            page += 1

    return work


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def show_users(users: list[UserGroupIdsModel], *, as_json: bool) -> None:
    if as_json:
        for user in users:
            line = user.model_dump(
                include={"id", "email", "name", "role", "group_ids", "created_at"}
            )
            typer.echo(json.dumps(line, sort_keys=True))
        return
    table = Table("id", "e-mail", "name", "role", "groups", "created (UTC)")
    for user in users:
        table.add_row(
            user.id,
            user.email,
            user.name,
            user.role,
            str(len(user.group_ids)),
            _when(user.created_at),
        )
    Console().print(table)


def _update(email: str, form: UserUpdateForm) -> Work[str]:
    async def work(session: AsyncSession, runtime: Runtime) -> str:
        user = await _user(session, email)
        # ``update_user`` names the acting admin in its signature only; the console is the
        # actor recorded in the audit trail (``runner.CLI_ACTOR_ID``).
        await users_service.update_user(
            session, runtime.passwords, actor=user, user_id=user.id, form=form
        )
        return user.email

    return work


def set_role(email: str, role: str) -> Work[str]:
    """The role, as an admin would set it: the user's sessions end, the primary admin's role is
    refused. The work returns the e-mail."""
    return _update(email, checked(UserUpdateForm, role=role))


def reset_password(email: str, password: str) -> Work[str]:
    """A new password under the password policy; every session of the user ends."""
    return _update(email, checked(UserUpdateForm, password=password))


def confirm_deletion(email: str, *, yes: bool) -> None:
    """Ask before deleting, unless ``yes``; exits 2 when declined or no terminal can ask."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise fail("no terminal to ask for confirmation: add --yes to delete.")
    if not typer.confirm(f"Delete {email}, their memberships and grants?", err=True):
        raise fail("nothing deleted.")


def delete_user(email: str) -> Work[str]:
    async def work(session: AsyncSession, _runtime: Runtime) -> str:
        user = await _user(session, email)
        await users_service.delete_user(session, actor=None, user_id=user.id)
        return user.email

    return work
