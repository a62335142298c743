"""A read that does not complete changes nothing: slapd stopped before or during the read, a
size limit, a connection cut mid-answer, a referral. Each records one ``identity.sync`` event
saying what happened."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from opengroups.identity.config import IdentityConfig, LdapDirectory
from opengroups.identity.ldap.directory import PAGE_SIZE
from opengroups.identity.ldap.sync import full_sync
from opengroups.kit.db import Database
from opengroups.models import AuditEvent
from tests.conftest import snapshot
from tests.identity.ldap.conftest import (
    BIG,
    LdapApp,
    StartLdap,
    add_tree,
    fresh_tree,
    ldap_config,
    ldap_memberships,
)
from tests.identity.ldap.data import generated
from tests.identity.ldap.slapd import LIMITED_DN, Slapd


@pytest.fixture
def own_slapd(tmp_path: Path) -> Iterator[Slapd]:
    """A slapd of this test alone (it gets stopped), with more users than one page holds."""
    server = Slapd(tmp_path / "own-slapd")
    tree = generated("own", users=PAGE_SIZE + 100, groups=12)
    server.configure(list(tree.entries()))
    server.start()
    server.tree = tree  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


async def _problems(database: Database) -> list[dict[str, Any]]:
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(AuditEvent.after).where(AuditEvent.action == "identity.sync")
        )
    return [after for after in rows.scalars() if "problem" in after]


async def _unchanged_but_the_problem(
    env: LdapApp, before: dict[str, list[tuple[Any, ...]]], expected: str
) -> None:
    after = await snapshot(env.database)
    assert {k: v for k, v in after.items() if k != '"audit_event"'} == {
        k: v for k, v in before.items() if k != '"audit_event"'
    }
    assert len(after['"audit_event"']) == len(before['"audit_event"']) + 1
    problems = await _problems(env.database)
    assert len(problems) == 1
    assert expected in problems[0]["problem"]


def _use(env: LdapApp, **changes: Any) -> None:
    assert env.runtime.identity.ldap is not None
    config = env.runtime.identity.ldap.model_copy(update=changes)
    env.runtime.identity = IdentityConfig(ldap=LdapDirectory.model_validate(config.model_dump()))


async def test_slapd_stopped_before_the_read_changes_nothing(
    own_slapd: Slapd, start_ldap: StartLdap
) -> None:
    env = await start_ldap(ldap_config(own_slapd, own_slapd.tree))  # type: ignore[attr-defined]
    assert (await full_sync(env.database, env.runtime)).problem is None
    before = await snapshot(env.database)
    own_slapd.stop()

    report = await full_sync(env.database, env.runtime)

    assert report.problem is not None
    assert "connecting to" in report.problem
    await _unchanged_but_the_problem(env, before, "connecting to")


async def test_slapd_killed_during_the_read_changes_nothing(
    own_slapd: Slapd, start_ldap: StartLdap
) -> None:
    env = await start_ldap(ldap_config(own_slapd, own_slapd.tree))  # type: ignore[attr-defined]
    assert (await full_sync(env.database, env.runtime)).problem is None
    before = await snapshot(env.database)
    pages: list[int] = []

    def kill_after_the_first_page(stage: str, done: int, _total: int | None) -> None:
        pages.append(done)
        if stage == "users" and len(pages) == 1:
            own_slapd.kill()

    report = await full_sync(env.database, env.runtime, progress=kill_after_the_first_page)

    assert pages == [PAGE_SIZE]  # the first page arrived, the rest never did
    assert report.problem is not None
    assert "reading users" in report.problem
    await _unchanged_but_the_problem(env, before, "reading users")


async def test_a_size_limit_changes_nothing(slapd: Slapd, start_ldap: StartLdap) -> None:
    env = await start_ldap(ldap_config(slapd, BIG))
    await full_sync(env.database, env.runtime)
    before = await snapshot(env.database)
    _use(env, bind_dn=LIMITED_DN)

    report = await full_sync(env.database, env.runtime)

    assert report.problem is not None
    assert "sizeLimitExceeded" in report.problem
    await _unchanged_but_the_problem(env, before, "sizeLimitExceeded")


class CuttingProxy:
    """A TCP relay to slapd that closes both ends once ``limit`` bytes came back from it."""

    def __init__(self, target_port: int, limit: int) -> None:
        self.limit = limit
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.cut = threading.Event()
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self.threads.append(accept)

    def _accept(self) -> None:
        try:
            client, _address = self.listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        up = threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True)
        down = threading.Thread(target=self._pump, args=(upstream, client, self.limit), daemon=True)
        self.threads += [up, down]
        up.start()
        down.start()
        down.join()
        for end in (client, upstream):
            end.close()

    def _pump(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while limit is None or sent < limit:
                data = source.recv(4096 if limit is None else min(4096, limit - sent))
                if not data:
                    return
                target.sendall(data)
                sent += len(data)
            self.cut.set()
            for end in (source, target):
                end.shutdown(socket.SHUT_RDWR)
        except OSError:
            return

    def close(self) -> None:
        self.listener.close()
        for thread in self.threads:
            thread.join(timeout=10)


async def test_a_connection_closed_mid_answer_changes_nothing(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    env = await start_ldap(ldap_config(slapd, BIG))
    await full_sync(env.database, env.runtime)
    before = await snapshot(env.database)
    proxy = CuttingProxy(slapd.port, limit=40_000)
    try:
        _use(env, url=f"ldap://127.0.0.1:{proxy.port}")
        report = await full_sync(env.database, env.runtime)
    finally:
        proxy.close()

    assert proxy.cut.is_set()
    assert report.problem is not None
    await _unchanged_but_the_problem(env, before, "reading")


async def test_a_referral_is_not_followed_and_changes_nothing(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = fresh_tree()
    tree.add_user("a")
    tree.add_group("staff", {"a"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree))
    await full_sync(env.database, env.runtime)
    assert (await ldap_memberships(env.database))["staff"] == {"a@example.org"}
    before = await snapshot(env.database)
    directory = slapd.admin()
    try:
        directory.add(
            f"ou=elsewhere,{tree.user_base}",
            attributes={
                "objectClass": ["referral", "extensibleObject"],
                "ou": ["elsewhere"],
                "ref": ["ldap://ldap.elsewhere.example/ou=people,dc=elsewhere"],
            },
        )
    finally:
        directory.unbind()

    report = await full_sync(env.database, env.runtime)

    assert report.problem is not None
    assert "referrals are not followed" in report.problem
    await _unchanged_but_the_problem(env, before, "ldap.elsewhere.example")


async def test_a_directory_without_users_is_refused_when_accounts_are_synced(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = fresh_tree()
    tree.add_user("a")
    tree.add_group("staff", {"a"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree))
    await full_sync(env.database, env.runtime)
    before = await snapshot(env.database)
    _use(env, user_filter="(uid=nobody-has-this)")

    report = await full_sync(env.database, env.runtime)

    assert report.problem is not None
    await _unchanged_but_the_problem(env, before, "no users at all")
