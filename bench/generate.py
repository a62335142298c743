"""Load a realistic data set straight into a database, for the benchmarks.

    .venv/bin/python bench/generate.py --database-url sqlite+aiosqlite:////tmp/og-bench/full.db
    .venv/bin/python bench/generate.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/generate.py --scale 0.01 ...       # 1 % of everything

Full scale: 100,000 users; 10,000 groups in trees four levels deep; 1,000,000 memberships with
a long tail (five groups of 50,000 members, the rest 10 to 140); every user in 1 to 30 groups;
10,000 resources with read grants to groups. The database is emptied first. Prints what it
made and the ids the load driver needs (an admin, a user in 20 groups, the largest group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

from common import empty_database
from sqlalchemy import insert, text

from opengroups.auths.security import hash_api_key, new_api_key
from opengroups.kit import migrate
from opengroups.kit.db import Database
from opengroups.kit.passwords import Passwords
from opengroups.models import (
    AccessGrant,
    Group,
    GroupMember,
    GroupMemberSource,
    User,
    new_id,
    now_epoch,
)

CHUNK = 20_000
GIANT_GROUPS = 5
GIANT_SIZE = 50_000
SAMPLE_USERS = 10_000


async def insert_chunks(database: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with database.session() as session:
            await session.execute(insert(model), rows[start : start + CHUNK])


async def generate(database_url: str, scale: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    users_count = max(100, int(100_000 * scale))
    groups_count = max(20, int(10_000 * scale))
    memberships_target = int(1_000_000 * scale)
    giant = min(GIANT_SIZE, max(10, int(GIANT_SIZE * scale)))
    now = now_epoch()

    database = Database(database_url)
    await migrate.upgrade(database.engine)
    await empty_database(database)
    started = time.perf_counter()

    admin_id, admin_key = new_id(), new_api_key()
    user_ids = [new_id() for _ in range(users_count)]
    users = [
        {
            "id": uid,
            "name": f"User {i:06d}",
            "email": f"user{i}@bench.example",
            "role": "user",
            "profile_image_url": "/user.png",
            "last_active_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i, uid in enumerate(user_ids)
    ]
    users.append(
        {
            "id": admin_id,
            "name": "Bench Admin",
            "email": "admin@bench.example",
            "role": "admin",
            "password_hash": Passwords().hash("bench-pw"),
            "api_key_hash": hash_api_key(admin_key),
            "profile_image_url": "/user.png",
            "last_active_at": now,
            "created_at": now,
            "updated_at": now,
        }
    )
    await insert_chunks(database, User, users)

    # Trees four levels deep: 1 root, 9 children, 9 grandchildren each, 9 below those...
    group_ids = [new_id() for _ in range(groups_count)]
    groups = []
    for index, gid in enumerate(group_ids):
        tree, position = divmod(index, 820)  # 1 + 9 + 81 + 729 = 820 groups per tree
        if position == 0:
            parent = None
        elif position <= 9:
            parent = group_ids[tree * 820]
        elif position <= 90:
            parent = group_ids[tree * 820 + 1 + (position - 10) // 9]
        else:
            parent = group_ids[tree * 820 + 10 + (position - 91) // 9]
        groups.append(
            {
                "id": gid,
                "parent_group_id": parent,
                "user_id": admin_id,
                "name": f"Group {index:05d}",
                "name_key": f"group {index:05d}",
                "description": "benchmark group",
                "data": {"config": {"share": rng.choice([True, True, "members", False])}},
                "permissions": {"features": {"api_keys": True}} if index % 7 == 0 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    await insert_chunks(database, Group, groups)

    members: dict[str, set[str]] = {gid: set() for gid in group_ids}
    giants = group_ids[1 : 1 + GIANT_GROUPS]
    for gid in giants:
        members[gid].update(rng.sample(user_ids, giant))
    remaining = max(0, memberships_target - sum(len(m) for m in members.values()))
    others = [gid for gid in group_ids if gid not in set(giants)]
    mean = max(10, remaining // max(1, len(others)))
    for gid in others:
        size = min(len(user_ids), max(10, int(rng.triangular(10, 2 * mean - 10, mean))))
        members[gid].update(rng.sample(user_ids, size))
    # Nobody is left out: every user is in at least one group.
    in_some = set().union(*members.values())
    for uid in user_ids:
        if uid not in in_some:
            members[rng.choice(others)].add(uid)
    # The load driver's user: a member of exactly 20 ordinary groups.
    probe = user_ids[0]
    for gid in group_ids:
        members[gid].discard(probe)
    for gid in rng.sample(others, 20):
        members[gid].add(probe)
    rows = [
        {"group_id": gid, "user_id": uid, "created_at": now}
        for gid, uids in members.items()
        for uid in uids
    ]
    await insert_chunks(database, GroupMember, rows)
    await insert_chunks(database, GroupMemberSource, [{**row, "source": "manual"} for row in rows])

    resources = max(100, int(10_000 * scale))
    grants = [
        {
            "id": new_id(),
            "resource_type": "model",
            "resource_id": f"model-{i:05d}",
            "principal_type": "group",
            "principal_id": rng.choice(group_ids),
            "permission": "read",
            "created_at": now,
        }
        for i in range(resources)
    ]
    await insert_chunks(database, AccessGrant, grants)
    if database.engine.dialect.name == "postgresql":
        # The member-count triggers rewrote each group row once per membership: reclaim the
        # dead row versions (as autovacuum would, in time) and refresh the statistics.
        autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as connection:
            await connection.execute(text("VACUUM ANALYZE"))
    await database.dispose()

    largest = max(group_ids, key=lambda gid: len(members[gid]))
    return {
        "database_url": database_url,
        "users": users_count + 1,
        "groups": groups_count,
        "memberships": len(rows),
        "resources": resources,
        "admin_id": admin_id,
        "admin_api_key": admin_key,
        "probe_user_id": probe,
        # For the cold-cache scenario: users spread over the whole set.
        "sample_user_ids": user_ids[:: max(1, len(user_ids) // SAMPLE_USERS)][:SAMPLE_USERS],
        "largest_group_id": largest,
        "largest_group_size": len(members[largest]),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the full data set")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--out", type=Path, default=Path("bench-data.json"), help="where to write the summary"
    )
    args = parser.parse_args()
    summary = asyncio.run(generate(args.database_url, args.scale, args.seed))
    args.out.write_text(json.dumps(summary, indent=1))
    hidden = {"admin_api_key", "sample_user_ids"}
    print(json.dumps({k: v for k, v in summary.items() if k not in hidden}, indent=1))


if __name__ == "__main__":
    main()
