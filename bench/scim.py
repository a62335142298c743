"""Benchmark: SCIM on the full data set, the largest group against a 10-member one.

    .venv/bin/python bench/scim.py                      # SQLite in a temporary folder
    .venv/bin/python bench/scim.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/scim.py --scale 0.01         # a quick look at 1 %

Generates the data set of ``generate.py`` (100,000 users, 10,000 groups, five groups of 50,000
members), then measures in-process (no network) the two operations identity providers repeat
most, each on the largest group and on a group of about 10 members:

- ``PATCH /Groups/{id}`` adding one member (a different user each time, answered 204);
- ``GET /Groups?filter=displayName eq "…"&excludedAttributes=members``.

Prints median and slowest of ``--repeat`` requests and the ratio large / small (target ≤ 2).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from common import database_url_or_temporary
from generate import generate
from sqlalchemy import func, select

from opengroups.app import create_app
from opengroups.config import Settings
from opengroups.kit.db import Database
from opengroups.models import Group, GroupMember, User

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def _timed(repeat: int, request: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    times = []
    for i in range(repeat):
        started = time.perf_counter()
        response = await request(i)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 204), response.text
    return times


async def _subjects(url: str, largest: str, count: int) -> tuple[str, str, list[str]]:
    """The group closest to 10 members, the largest group, and users in neither."""
    database = Database(url)
    async with database.session(write=False) as session:
        small = (
            await session.execute(
                select(Group.id).order_by(func.abs(Group.member_count - 10), Group.id).limit(1)
            )
        ).scalar_one()
        in_either = select(GroupMember.user_id).where(GroupMember.group_id.in_([small, largest]))
        outsiders = (
            await session.execute(select(User.id).where(User.id.not_in(in_either)).limit(count))
        ).scalars()
        found = list(outsiders)
    await database.dispose()
    return small, largest, found


async def run(url: str, scale: float, repeat: int) -> None:
    data = await generate(url, scale, 2026)
    print(
        f"data set: {data['users']:,} users, {data['groups']:,} groups, "
        f"{data['memberships']:,} memberships; largest group {data['largest_group_size']:,}"
    )
    small, large, outsiders = await _subjects(url, data["largest_group_id"], 4 * repeat)
    folder = Path(tempfile.mkdtemp(prefix="opengroups-bench-"))
    app = create_app(Settings(_env_file=None, database_url=url, data_dir=folder))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            admin = {"Authorization": f"Bearer {data['admin_api_key']}"}
            created = await client.post(
                "/api/v1/scim/clients", json={"name": "bench"}, headers=admin
            )
            assert created.status_code == 200, created.text
            scim = {
                "Authorization": f"Bearer {created.json()['token']}",
                "Content-Type": "application/scim+json",
            }
            names = {}
            for gid in (small, large):
                got = await client.get(
                    f"/scim/v2/Groups/{gid}", params={"attributes": "displayName"}, headers=scim
                )
                names[gid] = got.json()["displayName"]

            def add(gid: str, offset: int) -> Callable[[int], Awaitable[httpx.Response]]:
                def request(i: int) -> Awaitable[httpx.Response]:
                    body = {
                        "schemas": [PATCH_OP],
                        "Operations": [
                            {
                                "op": "add",
                                "path": "members",
                                "value": [{"value": outsiders[offset + i]}],
                            }
                        ],
                    }
                    return client.patch(f"/scim/v2/Groups/{gid}", json=body, headers=scim)

                return request

            def lookup(gid: str) -> Callable[[int], Awaitable[httpx.Response]]:
                def request(_i: int) -> Awaitable[httpx.Response]:
                    return client.get(
                        "/scim/v2/Groups",
                        params={
                            "filter": f'displayName eq "{names[gid]}"',
                            "excludedAttributes": "members",
                        },
                        headers=scim,
                    )

                return request

            rows = [
                ("PATCH add one member", add(small, 0), add(large, repeat)),
                ("GET filter displayName, no members", lookup(small), lookup(large)),
            ]
            print(
                f"{'operation':38} {'10-member p50/max ms':>22} {'largest p50/max ms':>20} "
                f"{'ratio p50':>9}"
            )
            for label, on_small, on_large in rows:
                await on_small(0)  # warm the statements once, outside the figures
                a = await _timed(repeat, on_small)
                b = await _timed(repeat, on_large)
                ratio = statistics.median(b) / statistics.median(a)
                print(
                    f"{label:38} {statistics.median(a):10.2f} / {max(a):7.2f} "
                    f"{statistics.median(b):10.2f} / {max(b):7.2f} {ratio:9.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(database_url_or_temporary(args.database_url), args.scale, args.repeat))


if __name__ == "__main__":
    main()
