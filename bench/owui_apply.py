"""Benchmark: the Open WebUI connector applying 1,000 groups and 50,000 memberships.

    .venv/bin/python bench/owui_apply.py
    .venv/bin/python bench/owui_apply.py --users 200 --groups 20 --memberships 1000  # a quick look
    .venv/bin/python bench/owui_apply.py --out owui-apply.json    # also write the figures as JSON

Two SQLite databases in a temporary folder, filled directly (``owui_data.py``): the
source with 10,000 users, 1,000 groups (a tenth top-level, nine children under each) and 50,000
direct memberships; the target with the same users (same e-mails, other ids), no group, and an
admin with an API key. The target is a real ``opengroups serve`` (it speaks Open WebUI's API);
the connector runs in this process (``connector.service``: prepare, run_apply, record_apply)
through a transport that counts its requests by method and route. Three applies are measured:

1. to the empty target, then checked through the target's API (every group, parent, member);
2. after one change in the source (one user added to one group): it should write one
   add_members and one mark (the group's update), and read only what it needs;
3. with nothing changed: it should write nothing.

``--change-in child`` makes apply #2's change in a child group instead of a top-level one (the
group's mark then needs its parent's id on the target, which no other action of the plan has).

Prints, for each, the wall time split into its phases (reading the source, reading the target
and planning, writing, recording), the requests by kind (reads are GETs) and by route, and the
most requests the connector had in flight at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load import running_server
from owui_data import make_databases
from sqlalchemy import select

from opengroups import bootstrap
from opengroups.audit import recorder
from opengroups.bootstrap import Runtime
from opengroups.config import Settings
from opengroups.connector import service
from opengroups.connector.schemas import TargetForm
from opengroups.connector.service import Prepared
from opengroups.connector.state import Desired
from opengroups.kit.db import Database
from opengroups.memberships import service as memberships_service
from opengroups.models import Group, GroupMember, User

SECRET = "bench-secret-key-that-is-long-enough-for-hs256"
TARGET = "bench"
ACTOR = "system:bench"
# How many requests the bench's own checks of the target send at once (not the connector's).
CHECK_CONCURRENCY = 8
UUID = re.compile(r"/[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}(?=/|$)")
ADD_MEMBERS = "POST /api/v1/groups/id/{id}/users/add"
UPDATE = "POST /api/v1/groups/id/{id}/update"


# --- counting the connector's requests -------------------------------------------------------


def route(request: httpx.Request) -> str:
    """``METHOD /path`` with ids as ``{id}`` and the query's parameter names (not values)."""
    path = UUID.sub("/{id}", request.url.path)
    names = sorted({name for name, _ in request.url.params.multi_items()})
    return f"{request.method} {path}" + (f"?{'&'.join(names)}" if names else "")


class CountingTransport(httpx.AsyncBaseTransport):
    """The network (``httpx.AsyncHTTPTransport``), counting requests by route, the seconds
    spent on each route (answer read in full) and the most requests in flight at once."""

    def __init__(self) -> None:
        self._network = httpx.AsyncHTTPTransport()
        self.requests: Counter[str] = Counter()
        self.seconds: dict[str, float] = defaultdict(float)
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = route(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        started = time.perf_counter()
        try:
            response = await self._network.handle_async_request(request)
            await response.aread()
        finally:
            self.in_flight -= 1
        self.requests[name] += 1
        self.seconds[name] += time.perf_counter() - started
        return response

    async def aclose(self) -> None:
        await self._network.aclose()


# --- one apply -------------------------------------------------------------------------------


@dataclass
class Measured:
    """One apply: seconds per phase, requests (and their seconds) by route, actions done."""

    label: str
    phases: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    request_seconds: dict[str, float] = field(default_factory=dict)
    peak_in_flight: int = 0
    done: dict[str, int] = field(default_factory=dict)

    @property
    def reads(self) -> int:
        return sum(n for name, n in self.requests.items() if name.startswith("GET "))

    @property
    def writes(self) -> dict[str, int]:
        return {name: n for name, n in self.requests.items() if not name.startswith("GET ")}


async def apply_once(runtime: Runtime, label: str) -> tuple[Measured, Prepared]:
    """prepare, run_apply and record_apply, as the CLI runs them, timed phase by phase."""
    database = runtime.database
    started = time.perf_counter()
    async with database.session(write=False) as session:
        prepared = await service.prepare(
            session, runtime.authz, settings=runtime.settings, name=TARGET
        )
    prepared_at = time.perf_counter()
    planned_at = prepared_at

    def on_plan(_done: int, _total: int) -> None:
        nonlocal planned_at
        planned_at = time.perf_counter()

    transport = CountingTransport()
    report = await service.run_apply(prepared, transport=transport, on_plan=on_plan)
    applied_at = time.perf_counter()
    async with database.session() as session:
        recorder.set_actor(session, user_id=ACTOR)
        await service.record_apply(session, prepared=prepared, report=report)
    ended = time.perf_counter()
    if not report.ok:
        raise SystemExit(f"{label}: the apply failed: {report.error}")
    measured = Measured(
        label,
        phases={
            name: round(seconds, 3)
            for name, seconds in {
                "wall": ended - started,
                "prepare": prepared_at - started,
                "read_and_plan": planned_at - prepared_at,
                "write": applied_at - planned_at,
                "record": ended - applied_at,
            }.items()
        },
        requests=dict(sorted(transport.requests.items())),
        request_seconds={k: round(v, 3) for k, v in sorted(transport.seconds.items())},
        peak_in_flight=transport.peak,
        done=report.result(at=0)["done"],
    )
    return measured, prepared


# --- checking the target through its API -----------------------------------------------------


async def check_target(base_url: str, api_key: str, desired: Desired) -> tuple[int, int]:
    """Check that the target holds exactly ``desired``'s groups, parents and members (by
    e-mail); its groups and memberships. Raises ``SystemExit`` on the first difference."""
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:

        async def get(path: str) -> Any:
            response = await http.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code} {response.text[:200]}")
            return response.json()

        groups = await get("/api/v1/groups/")
        emails = {u["id"]: u["email"] for u in (await get("/api/v1/users/all"))["users"]}
        limit = asyncio.Semaphore(CHECK_CONCURRENCY)

        async def members(group_id: str) -> frozenset[str]:
            async with limit:
                exported = await get(f"/api/v1/groups/id/{group_id}/export")
            return frozenset(emails[uid] for uid in exported["user_ids"])

        held = await asyncio.gather(*(members(g["id"]) for g in groups))
    names = {g["id"]: g["name"] for g in groups}
    actual = {
        g["name"]: (names.get(g["parent_group_id"]), emails_held)
        for g, emails_held in zip(groups, held, strict=True)
    }
    by_id = {g.id: g.name for g in desired.groups}
    wanted = {
        g.name: (by_id.get(g.parent_id) if g.parent_id else None, g.member_emails)
        for g in desired.groups
    }
    if actual != wanted:
        different = sorted(n for n in wanted.keys() | actual.keys() if actual.get(n) != wanted[n])
        raise SystemExit(f"the target differs from the source in {different[:10]}")
    return len(groups), sum(len(m) for m in held)


async def add_one_member(database: Database, *, nested: bool) -> tuple[str, str]:
    """The one change of apply #2: a user who is not in the first top-level group (the first
    child group when ``nested``) joins it, as an admin would, through the service. The group's
    name and the user's e-mail."""
    async with database.session() as session:
        recorder.set_actor(session, user_id=ACTOR)
        parent = Group.parent_group_id
        which = parent.is_not(None) if nested else parent.is_(None)
        group = (
            await session.execute(select(Group).where(which).order_by(Group.name).limit(1))
        ).scalar_one()
        members = select(GroupMember.user_id).where(GroupMember.group_id == group.id)
        user = (
            await session.execute(
                select(User).where(User.id.not_in(members)).order_by(User.email).limit(1)
            )
        ).scalar_one()
        await memberships_service.add_members(session, group_id=group.id, user_ids=[user.id])
        return group.name, user.email


# --- the run ---------------------------------------------------------------------------------


async def measure(
    base_url: str, api_key: str, source_url: str, folder: Path, *, nested_change: bool
) -> list[Measured]:
    settings = Settings(
        _env_file=None, data_dir=folder / "source-data", database_url=source_url, secret_key=SECRET
    )
    runtime = bootstrap.build_runtime(settings)
    database = await bootstrap.start(runtime)
    try:
        async with database.session() as session:
            recorder.set_actor(session, user_id=ACTOR)
            form = TargetForm(name=TARGET, base_url=base_url, api_key=api_key)
            await service.create_target(session, form=form, settings=runtime.settings)

        first, prepared = await apply_once(runtime, "#1 to the empty target")
        groups, memberships = await check_target(base_url, api_key, prepared.desired)
        print(f"after apply #1 the target holds {groups:,} groups, {memberships:,} memberships")
        group, email = await add_one_member(database, nested=nested_change)
        print(f"change in the source: {email} added to {group}")
        second, _ = await apply_once(runtime, "#2 one member added")
        third, prepared = await apply_once(runtime, "#3 no change")
        groups, memberships = await check_target(base_url, api_key, prepared.desired)
        print(f"after apply #3 the target holds {groups:,} groups, {memberships:,} memberships")
        return [first, second, third]
    finally:
        await bootstrap.stop(runtime)


def expectation(measured: Measured, index: int) -> str:
    """Whether apply #2 wrote only its add_members and mark, and #3 nothing."""
    wanted = [None, {ADD_MEMBERS: 1, UPDATE: 1}, {}][index]
    if wanted is None:
        return ""
    return "as expected" if measured.writes == wanted else f"NOT as expected ({wanted})"


def print_table(rows: list[Measured]) -> None:
    print(
        f"\n{'apply':24} {'wall s':>7} {'prepare':>8} {'read+plan':>9} {'write':>7} "
        f"{'record':>7} {'reads':>6} {'writes':>7} {'in flight':>9}"
    )
    for row in rows:
        p = row.phases
        print(
            f"{row.label:24} {p['wall']:7.2f} {p['prepare']:8.2f} {p['read_and_plan']:9.2f} "
            f"{p['write']:7.2f} {p['record']:7.2f} {row.reads:6,} {sum(row.writes.values()):7,} "
            f"{row.peak_in_flight:9}"
        )
    print("(seconds per route: summed over its requests, which overlap when sent concurrently)")
    for index, row in enumerate(rows):
        print(f"\n{row.label}: actions {row.done or 'none'} {expectation(row, index)}")
        for name, count in row.requests.items():
            print(f"  {name:58} {count:6,}  {row.request_seconds[name]:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--memberships", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    parser.add_argument(
        "--change-in",
        choices=["top", "child"],
        default="top",
        help="the group apply #2 adds a member to: a top-level one, or a child of one",
    )
    args = parser.parse_args()
    if args.groups < 1 or args.memberships > args.users * args.groups:
        parser.error("need at least one group, and no more memberships than users * groups")
    folder = Path(tempfile.mkdtemp(prefix="opengroups-bench-owui-"))
    source, target, key = asyncio.run(
        make_databases(
            folder,
            users=args.users,
            groups=args.groups,
            memberships=args.memberships,
            seed=args.seed,
        )
    )
    with running_server(target, 1) as (base_url, _pid):
        rows = asyncio.run(
            measure(base_url, key, source, folder, nested_change=args.change_in == "child")
        )
    print_table(rows)
    if args.out:
        args.out.write_text(
            json.dumps(
                [{**vars(row), "reads": row.reads, "writes": row.writes} for row in rows],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
