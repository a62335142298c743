"""Benchmark: server time of the query-heavy routes, in-process (no network, no client pool).

    .venv/bin/python bench/query_routes.py --data bench-data.json [--repeat 200] [--only members]

Starts the app on the database named in the data file (made by ``bench/generate.py``), warms
each route up, then times ``--repeat`` sequential requests and prints p50 / p99 / max in ms.
Adding 1,000 members is timed a few times on a scratch group and undone (the database is
left as it was, apart from audit events).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from opengroups import dependencies
from opengroups.app import create_app, runtime_of
from opengroups.auths.security import issue_token
from opengroups.models import GroupMember, User

SECRET = "bench-secret-key-that-is-long-enough-for-hs256"


def routes(data: dict[str, Any], deep_page: int) -> list[tuple[str, str, str]]:
    """``(name, who, path)``; ``who`` is ``admin`` or ``probe``."""
    largest, user = data["largest_group_id"], data["probe_user_id"]
    members = f"/api/v1/groups/id/{largest}/members"
    return [
        ("auth floor: GET /auths/ (probe)", "probe", "/api/v1/auths/"),
        ("members direct, page 1", "admin", f"{members}?membership=direct&limit=100"),
        (
            f"members direct, page {deep_page}",
            "admin",
            f"{members}?membership=direct&limit=100&page={deep_page}",
        ),
        ("members effective, page 1", "admin", f"{members}?membership=effective&limit=100"),
        (
            f"members effective, page {deep_page}",
            "admin",
            f"{members}?membership=effective&limit=100&page={deep_page}",
        ),
        ("members inherited, page 1", "admin", f"{members}?membership=inherited&limit=100"),
        ("members direct, query=12", "admin", f"{members}?membership=direct&limit=100&query=12"),
        (
            "members effective, query=user 01",
            "admin",
            f"{members}?membership=effective&limit=100&query=user%2001",
        ),
        ("groups as admin, limit=50", "admin", "/api/v1/groups/?limit=50"),
        ("groups as the probe user", "probe", "/api/v1/groups/"),
        ("one group (largest)", "admin", f"/api/v1/groups/id/{largest}"),
        ("has_access", "admin", f"/api/v1/grants/model/model-00001/access?user_id={user}"),
        ("accessible resource ids", "admin", f"/api/v1/grants/model?user_id={user}"),
        ("export (largest)", "admin", f"/api/v1/groups/id/{largest}/export"),
    ]


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.2f} {p99:8.2f} {ordered[-1]:8.2f}"


async def timed(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> float:
    started = time.perf_counter()
    response = await http.request(method, path, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return elapsed


async def add_members_bench(
    app: Any, http: httpx.AsyncClient, admin: dict[str, str], times: int
) -> list[float]:
    """Add 1,000 non-members to a small group, then remove them again; time the adds."""
    listed = (await http.get("/api/v1/groups/?limit=50", headers=admin)).json()
    target = min(listed, key=lambda g: g["member_count"])["id"]
    async with runtime_of(app).database.session(write=False) as session:
        members = select(GroupMember.user_id).where(GroupMember.group_id == target)
        result = await session.execute(
            select(User.id).where(User.role == "user", User.id.not_in(members)).limit(1000)
        )
        user_ids = list(result.scalars())
    samples = []
    for _ in range(times):
        samples.append(
            await timed(
                http,
                "POST",
                f"/api/v1/groups/id/{target}/users/add",
                headers=admin,
                json={"user_ids": user_ids},
            )
        )
        await timed(
            http,
            "POST",
            f"/api/v1/groups/id/{target}/users/remove",
            headers=admin,
            json={"user_ids": user_ids},
        )
    return samples


def stub_authentication(app: Any, users: dict[str, User]) -> None:
    """Answer ``get_current_user`` from ``users`` (by bearer token) without the database, so the
    figures show the route's own work rather than authentication's."""

    async def current_user(credentials: dependencies.BearerDep) -> User:
        assert credentials is not None
        return users[credentials.credentials]

    app.dependency_overrides[dependencies.get_current_user] = current_user


async def run(
    data: dict[str, Any], repeat: int, only: str | None, adds: int, stub_auth: bool
) -> None:
    os.environ |= {
        "OPENGROUPS_DATABASE_URL": data["database_url"],
        "OPENGROUPS_SECRET_KEY": SECRET,
        "OPENGROUPS_DATA_DIR": tempfile.mkdtemp(prefix="opengroups-bench-"),
        "OPENGROUPS_LOG_LEVEL": "warning",
    }
    app = create_app()
    admin = {"Authorization": f"Bearer {data['admin_api_key']}"}
    probe_token = issue_token(data["probe_user_id"], secret=SECRET, expires_in=86400).token
    headers = {"admin": admin, "probe": {"Authorization": f"Bearer {probe_token}"}}
    deep_page = max(2, int(data["largest_group_size"] * 0.8) // 100)
    async with app.router.lifespan_context(app):
        async with runtime_of(app).database.session(write=False) as session:
            if runtime_of(app).database.engine.dialect.name == "sqlite":
                version = (await session.execute(text("select sqlite_version()"))).scalar()
            else:
                version = (await session.execute(text("show server_version"))).scalar()
        if stub_auth:
            async with runtime_of(app).database.session(write=False) as session:
                admin_user = await session.get(User, data["admin_id"])
                probe_user = await session.get(User, data["probe_user_id"])
            assert admin_user is not None
            assert probe_user is not None
            stub_authentication(app, {data["admin_api_key"]: admin_user, probe_token: probe_user})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            print(
                f"{data['database_url'].split('://')[0]} {version}: {data['users']} users, "
                f"{data['groups']} groups, {data['memberships']} memberships"
            )
            print(f"{'route':40} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
            for name, who, path in routes(data, deep_page):
                if only and only not in name:
                    continue
                count = repeat if "export" not in name else max(20, repeat // 10)
                for _ in range(5):
                    await timed(http, "GET", path, headers=headers[who])
                samples = [
                    await timed(http, "GET", path, headers=headers[who]) for _ in range(count)
                ]
                print(f"{name:40} {summary(samples)}", flush=True)
            if adds and (not only or only in "add 1,000 members"):
                samples = await add_members_bench(app, http, admin, adds)
                print(f"{'add 1,000 members':40} {summary(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("bench-data.json"))
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--adds", type=int, default=5, help="times to add 1,000 members")
    parser.add_argument("--only", help="run the routes whose name contains this")
    parser.add_argument(
        "--stub-auth", action="store_true", help="leave authentication out of the figures"
    )
    args = parser.parse_args()
    data: dict[str, Any] = json.loads(args.data.read_text())
    asyncio.run(run(data, args.repeat, args.only, args.adds, args.stub_auth))


if __name__ == "__main__":
    main()
