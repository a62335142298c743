"""A real slapd for the session, loaded with a generated directory of 1,000 users and 100 groups
(``BIG``); each test adds its own small tree under a fresh ``ou`` when it changes the directory,
and starts an app whose identity providers' file points at the tree it syncs."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from opengroups.app import runtime_of
from opengroups.bootstrap import Runtime
from opengroups.kit.db import Database
from opengroups.models import Group, GroupMemberSource, IdentityGroupLink, IdentityLink, User
from tests.conftest import Api, AppFactory
from tests.identity.ldap.data import Tree, generated
from tests.identity.ldap.slapd import READER_DN, READER_PASSWORD, Slapd, available

BIG = generated("big", users=1_000, groups=100)
_trees = itertools.count()


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    if not available():
        pytest.fail("slapd is not installed: apt-get install slapd ldap-utils (see .ci/run)")
    server = Slapd(tmp_path_factory.mktemp("slapd"))
    server.configure(list(BIG.entries()))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def add_tree(server: Slapd, tree: Tree) -> Tree:
    """Load ``tree`` into the running server (online, as a directory admin would)."""
    connection = server.admin()
    try:
        for dn, attributes in tree.entries():
            connection.add(dn, attributes=attributes)
    finally:
        connection.unbind()
    return tree


def fresh_tree(name: str = "t") -> Tree:
    return Tree(f"{name}{next(_trees)}")


def ldap_config(server: Slapd | str, tree: Tree, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "url": server if isinstance(server, str) else server.url,
        "bind_dn": READER_DN,
        "bind_password": READER_PASSWORD,
        "timeout_seconds": 5,
        "user_base": tree.user_base,
        "group_base": tree.group_base,
        "nested_depth": 10,
        "groups": {"create_groups": True},
    }
    if tree.member_attribute != "member":
        config["member_attribute"] = tree.member_attribute
    for key, value in overrides.items():
        if key == "groups":
            config["groups"] = {**config["groups"], **value}
        else:
            config[key] = value
    return config


@dataclass
class LdapApp:
    api: Api
    runtime: Runtime
    database: Database


StartLdap = Callable[..., Awaitable[LdapApp]]


@pytest.fixture
async def start_ldap(app_factory: AppFactory, tmp_path: Path) -> Any:
    """``await start_ldap(config)``: an app whose identity
    providers' file holds ``ldap: config`` (``None``: no file)."""
    clients: list[httpx.AsyncClient] = []
    files = itertools.count()

    async def start(config: dict[str, Any] | None, **settings: Any) -> LdapApp:
        if config is not None:
            path = tmp_path / f"identity-{next(files)}.yaml"
            path.write_text(yaml.safe_dump({"ldap": config}), encoding="utf-8")
            settings["identity_providers"] = path
        app = await app_factory(**settings)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        runtime = runtime_of(app)
        return LdapApp(Api(client), runtime, runtime.database)

    yield start
    for client in clients:
        await client.aclose()


async def ldap_memberships(database: Database) -> dict[str, set[str]]:
    """Group name to the e-mails of the members the ``ldap`` source holds (every group)."""
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(Group.name, User.email)
            .join(GroupMemberSource, GroupMemberSource.group_id == Group.id)
            .join(User, User.id == GroupMemberSource.user_id)
            .where(GroupMemberSource.source == "ldap")
        )
        names = (await session.execute(select(Group.name))).scalars().all()
    found: dict[str, set[str]] = {name: set() for name in names}
    for name, email in rows:
        found[name].add(email)
    return found


async def sources_of(database: Database, group_name: str) -> dict[str, set[str]]:
    """E-mail to the sources holding that user's membership of the group."""
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(User.email, GroupMemberSource.source)
            .join(GroupMemberSource, GroupMemberSource.user_id == User.id)
            .join(Group, Group.id == GroupMemberSource.group_id)
            .where(Group.name == group_name)
        )
    found: dict[str, set[str]] = {}
    for email, source in rows:
        found.setdefault(email, set()).add(source)
    return found


async def accounts(database: Database) -> dict[str, tuple[str, bool]]:
    """E-mail of every account linked to the directory: (its link's subject, created)."""
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(User.email, IdentityLink.subject, IdentityLink.created_account)
            .join(IdentityLink, IdentityLink.user_id == User.id)
            .where(IdentityLink.provider == "ldap")
        )
    return {email: (subject, created) for email, subject, created in rows}


async def group_links(database: Database) -> dict[str, tuple[str, bool]]:
    """Group name to (its link's key, created) for every group linked to the directory."""
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(Group.name, IdentityGroupLink.key, IdentityGroupLink.created_group).join(
                IdentityGroupLink, IdentityGroupLink.group_id == Group.id
            )
        )
    return {name: (key, created) for name, key, created in rows}


async def user_emails(database: Database) -> set[str]:
    async with database.session(write=False) as session:
        return set((await session.execute(select(User.email))).scalars())


async def group_names(database: Database) -> set[str]:
    async with database.session(write=False) as session:
        return set((await session.execute(select(Group.name))).scalars())
