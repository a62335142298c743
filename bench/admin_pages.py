"""Benchmark: server time of every admin page with 10,000 users and 1,000 groups.

    .venv/bin/python bench/admin_pages.py                      # SQLite in a temporary folder
    .venv/bin/python bench/admin_pages.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The database is emptied and filled directly (users, a four-level tree of groups, about 50,000
memberships, a largest group of 5,000), then each page is requested 20 times in-process (no
network) and the median and slowest times are printed. Target: every page under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from common import database_url_or_temporary, empty_database
from sqlalchemy import insert

from opengroups.app import create_app
from opengroups.config import Settings
from opengroups.kit import migrate
from opengroups.kit.db import Database
from opengroups.kit.passwords import Passwords
from opengroups.models import (
    Group,
    GroupMember,
    GroupMemberSource,
    User,
    new_id,
    now_epoch,
)

REPEAT = 20


async def fill(database: Database, users: int, groups: int, seed: int) -> tuple[str, str, str]:
    rng = random.Random(seed)
    now = now_epoch()
    await empty_database(database)
    admin_id = new_id()
    user_rows = [
        {
            "id": admin_id,
            "name": "Bench Admin",
            "email": "admin@bench.example",
            "role": "admin",
            "password_hash": Passwords().hash("bench-pw"),
            "profile_image_url": "/user.png",
            "last_active_at": now,
            "created_at": now,
            "updated_at": now,
        }
    ]
    user_rows += [
        {
            "id": new_id(),
            "name": f"User {i:05d}",
            "email": f"user{i}@bench.example",
            "role": "user",
            "profile_image_url": "/user.png",
            "last_active_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(users)
    ]
    group_ids = [new_id() for _ in range(groups)]
    group_rows = [
        {
            "id": gid,
            "parent_group_id": group_ids[(i - 1) // 10] if i else None,
            "user_id": admin_id,
            "name": f"Group {i:04d}",
            "name_key": f"group {i:04d}",
            "description": "bench",
            "data": {"config": {"share": True}},
            "created_at": now,
            "updated_at": now,
        }
        for i, gid in enumerate(group_ids)
    ]
    member_ids = [str(row["id"]) for row in user_rows[1:]]
    memberships = {(group_ids[1], uid) for uid in rng.sample(member_ids, 5_000)}
    for gid in group_ids:
        for uid in rng.sample(member_ids, rng.randint(10, 80)):
            memberships.add((gid, uid))
    async with database.session() as session:
        await session.execute(insert(User), user_rows)
        await session.execute(insert(Group), group_rows)  # parents come before children
        rows = [{"group_id": g, "user_id": u, "created_at": now} for g, u in memberships]
        await session.execute(insert(GroupMember), rows)
        await session.execute(
            insert(GroupMemberSource), [{**row, "source": "manual"} for row in rows]
        )
    print(f"filled: {users} users, {groups} groups, {len(memberships)} memberships")
    return admin_id, group_ids[1], member_ids[0]


async def run(database_url: str, users: int, groups: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="opengroups-bench-"))
    settings = Settings(_env_file=None, database_url=database_url, data_dir=folder)
    database = Database(database_url)
    await migrate.upgrade(database.engine)
    _, big_group, some_user = await fill(database, users, groups, seed=11)
    await database.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            signed = await client.post(
                "/admin/login", data={"email": "admin@bench.example", "password": "bench-pw"}
            )
            assert signed.status_code == 303, signed.text
            pages = [
                "/admin/groups",
                "/admin/groups?page=10",
                "/admin/groups?query=group%2009",
                f"/admin/groups/{big_group}",
                f"/admin/groups/{big_group}/members",
                f"/admin/groups/{big_group}/members?find=user%20000",
                f"/admin/groups/{big_group}/delete",
                "/admin/users",
                "/admin/users?query=user%20099",
                f"/admin/users/{some_user}",
                "/admin/defaults",
                "/admin/audit",
            ]
            print(f"{'page':60} {'median ms':>10} {'max ms':>8}")
            worst = 0.0
            for path in pages:
                times = []
                for _ in range(REPEAT):
                    started = time.perf_counter()
                    response = await client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                worst = max(worst, max(times))
                short = re.sub(r"[0-9a-f-]{36}", "{id}", path)
                print(f"{short:60} {statistics.median(times):10.1f} {max(times):8.1f}")
            print(f"slowest request: {worst:.1f} ms (target < 300 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    args = parser.parse_args()
    url = database_url_or_temporary(args.database_url)
    print(f"database: {url}")
    asyncio.run(run(url, args.users, args.groups))


if __name__ == "__main__":
    main()
