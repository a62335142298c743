"""The two databases of ``owui_apply.py``, filled directly (as ``generate.py`` does) and
counted before anything is measured.

The source: ``users`` users, ``groups`` groups (a tenth top-level, nine children under each)
and ``memberships`` direct memberships spread evenly over the groups, members drawn at random.
The target: the same users (same e-mails, other ids), no group, and an admin with an API key.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from generate import insert_chunks
from sqlalchemy import func, select

from opengroups.auths.security import hash_api_key, new_api_key
from opengroups.groups.names import name_key
from opengroups.kit import migrate
from opengroups.kit.db import Database
from opengroups.models import Group, GroupMember, GroupMemberSource, User, new_id, now_epoch

CHILDREN = 9  # under each top-level group


def _user(uid: str, index: int, now: int) -> dict[str, Any]:
    return {
        "id": uid,
        "name": f"User {index:05d}",
        "email": f"user{index}@bench.example",
        "role": "user",
        "profile_image_url": "/user.png",
        "last_active_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def fill_source(url: str, users: int, groups: int, memberships: int, seed: int) -> None:
    """Users, groups (``groups // 10`` top-level, nine children under each, the rest under the
    last) and ``memberships`` direct memberships spread evenly, members drawn at random."""
    rng, now = random.Random(seed), now_epoch()
    database = Database(url)
    await migrate.upgrade(database.engine)
    user_ids = [new_id() for _ in range(users)]
    await insert_chunks(database, User, [_user(uid, i, now) for i, uid in enumerate(user_ids)])
    group_ids = [new_id() for _ in range(groups)]
    top = max(1, groups // (CHILDREN + 1))
    rows = []
    for index, gid in enumerate(group_ids):
        name = f"Group {index:04d}"
        rows.append(
            {
                "id": gid,
                "parent_group_id": None
                if index < top
                else group_ids[min((index - top) // CHILDREN, top - 1)],
                "user_id": user_ids[0],
                "name": name,
                "name_key": name_key(name),
                "description": "benchmark group",
                "data": {"config": {"share": rng.choice([True, "members", False])}},
                "permissions": {"features": {"api_keys": True}} if index % 7 == 0 else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    await insert_chunks(database, Group, rows)
    base, extra = divmod(memberships, groups)
    members = [
        {"group_id": gid, "user_id": uid, "created_at": now}
        for index, gid in enumerate(group_ids)
        for uid in rng.sample(user_ids, base + (index < extra))
    ]
    await insert_chunks(database, GroupMember, members)
    await insert_chunks(database, GroupMemberSource, [{**m, "source": "manual"} for m in members])
    await database.dispose()


async def fill_target(url: str, users: int) -> str:
    """The same users as the source (other ids) and an admin; the admin's API key."""
    now, key = now_epoch(), new_api_key()
    database = Database(url)
    await migrate.upgrade(database.engine)
    rows = [_user(new_id(), i, now) for i in range(users)]
    admin = _user(new_id(), 0, now) | {
        "name": "Target admin",
        "email": "owui-admin@bench.example",
        "role": "admin",
        "api_key_hash": hash_api_key(key),
    }
    await insert_chunks(database, User, [*rows, admin])
    await database.dispose()
    return key


async def count_rows(url: str) -> dict[str, int]:
    """Users, groups, groups with a parent, memberships, and the member counts' sum."""
    database = Database(url)
    async with database.session(write=False) as session:

        async def scalar(statement: Any) -> int:
            return int((await session.execute(statement)).scalar_one() or 0)

        counts = {
            "users": await scalar(select(func.count()).select_from(User)),
            "groups": await scalar(select(func.count()).select_from(Group)),
            "nested": await scalar(select(func.count()).where(Group.parent_group_id.is_not(None))),
            "memberships": await scalar(select(func.count()).select_from(GroupMember)),
            "member_count_sum": await scalar(select(func.sum(Group.member_count))),
        }
    await database.dispose()
    return counts


def check_counts(found: dict[str, int], expected: dict[str, int], side: str) -> None:
    wrong = {k: (found[k], v) for k, v in expected.items() if found[k] != v}
    if wrong:
        raise SystemExit(f"{side}: unexpected counts (found, expected): {wrong}")


async def make_databases(
    folder: Path, *, users: int, groups: int, memberships: int, seed: int
) -> tuple[str, str, str]:
    """The two databases filled and checked: their URLs and the target admin's key."""
    source, target = (f"sqlite+aiosqlite:///{folder / name}" for name in ("source.db", "target.db"))
    started = time.perf_counter()
    await fill_source(source, users, groups, memberships, seed)
    key = await fill_target(target, users)
    nested = groups - max(1, groups // (CHILDREN + 1))
    check_counts(
        await count_rows(source),
        {
            "users": users,
            "groups": groups,
            "nested": nested,
            "memberships": memberships,
            "member_count_sum": memberships,
        },
        "source",
    )
    check_counts(
        await count_rows(target),
        {"users": users + 1, "groups": 0, "memberships": 0},
        "target",
    )
    print(
        f"source: {users:,} users, {groups:,} groups ({nested:,} nested), "
        f"{memberships:,} memberships; target: {users + 1:,} users (an admin), "
        f"no groups; generated in {time.perf_counter() - started:.1f} s ({folder})"
    )
    return source, target, key
