"""Benchmark: import a bundle of 1,000 groups and 100,000 memberships.

    .venv/bin/python bench/import_bundle.py                      # SQLite in a temporary folder
    .venv/bin/python bench/import_bundle.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The target database is emptied first. Users are created directly (20,000 by default); the
bundle names members by id and e-mail, as an export does. Prints the seconds each step took.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from common import database_url_or_temporary, empty_database
from sqlalchemy import insert

from opengroups.config import Settings
from opengroups.kit import migrate
from opengroups.kit.db import Database
from opengroups.models import User, new_id, now_epoch
from opengroups.permissions import BUILTIN_CATALOG, Authz
from opengroups.transfer import importer
from opengroups.transfer.schemas import Bundle, BundleGroup, BundleMember


def make_bundle(users: list[tuple[str, str]], groups: int, memberships: int, seed: int) -> Bundle:
    rng = random.Random(seed)
    ids = [new_id() for _ in range(groups)]
    per_group = memberships // groups
    bundle_groups = []
    for index, group_id in enumerate(ids):
        # A tree four levels deep: group 0 is the root, group i's parent is group (i - 1) // 10.
        parent = ids[(index - 1) // 10] if index > 0 else None
        chosen = rng.sample(users, per_group)
        bundle_groups.append(
            BundleGroup(
                id=group_id,
                name=f"group-{index:05d}",
                description="benchmark group",
                parent_group_id=parent,
                permissions={"features": {"api_keys": index % 2 == 0}},
                members=[BundleMember(id=uid, email=email) for uid, email in chosen],
            )
        )
    return Bundle(groups=bundle_groups)


async def run(database_url: str, users_count: int, groups: int, memberships: int) -> None:
    database = Database(database_url)
    await migrate.upgrade(database.engine)
    await empty_database(database)
    now = now_epoch()
    users = [(new_id(), f"user{i}@example.com") for i in range(users_count)]
    started = time.perf_counter()
    async with database.session() as session:
        await session.execute(
            insert(User),
            [
                {
                    "id": uid,
                    "name": email.split("@")[0],
                    "email": email,
                    "role": "user",
                    "profile_image_url": "/user.png",
                    "last_active_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for uid, email in users
            ],
        )
    print(f"created {users_count} users in {time.perf_counter() - started:.2f} s")
    bundle = make_bundle(users, groups, memberships, seed=7)
    payload = bundle.model_dump(mode="json")
    settings = Settings(_env_file=None, database_url=database_url)
    authz = Authz(catalog=BUILTIN_CATALOG)
    for attempt in ("first import", "second import (no-op)"):
        started = time.perf_counter()
        async with database.session() as session:
            report = await importer.import_bundle(
                session,
                authz,
                actor_id="bench",
                payload=payload,
                policy="overwrite",
                dry_run=False,
                create_missing_users=False,
                settings=settings,
            )
        elapsed = time.perf_counter() - started
        print(
            f"{attempt}: {elapsed:.2f} s — added {report.added}, updated {report.updated}, "
            f"unchanged {report.unchanged}, members added {report.members_added}"
        )
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--memberships", type=int, default=100_000)
    args = parser.parse_args()
    url = database_url_or_temporary(args.database_url)
    print(f"database: {url}")
    asyncio.run(run(url, args.users, args.groups, args.memberships))


if __name__ == "__main__":
    main()
