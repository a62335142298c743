"""Benchmark: a full LDAP sync of 10,000 users and 1,000 groups nested 3 deep, from a real slapd.

    .venv/bin/python bench/ldap_sync.py                      # SQLite in a temporary folder
    .venv/bin/python bench/ldap_sync.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/ldap_sync.py --users 1000 --groups 100   # a quick look

Starts Debian's slapd on a free loopback port (as the tests do: ``tests/identity/ldap/slapd.py``),
loads the generated directory offline, empties the database, then prints the time of the read
(the fetch) and of the apply for a first sync (every account and group created) and for a
second sync of the unchanged directory (nothing to write but its event).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

import yaml
from common import database_url_or_temporary, empty_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' slapd helper

from tests.identity.ldap.data import generated
from tests.identity.ldap.slapd import READER_DN, READER_PASSWORD, Slapd

from opengroups import bootstrap
from opengroups.config import Settings
from opengroups.identity.ldap.sync import SyncReport, full_sync


def _line(label: str, report: SyncReport) -> str:
    return (
        f"{label:<28} fetch {report.fetch_seconds:7.2f} s   apply {report.apply_seconds:7.2f} s"
        f"   (created {report.users_created} accounts, {report.groups_created} groups; "
        f"+{report.members_added} -{report.members_removed} members in "
        f"{report.groups_changed} groups)"
    )


async def _run(url: str, identity: Path, data_dir: Path) -> list[SyncReport]:
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        database_url=url,
        identity_providers=identity,
        secret_key="bench-secret-key-that-is-long-enough-for-hs256",
    )
    runtime = bootstrap.build_runtime(settings)
    database = await bootstrap.start(runtime)
    try:
        await empty_database(database)
        reports = []
        for _run_number in range(2):
            report = await full_sync(database, runtime)
            if report.problem is not None:
                raise SystemExit(report.problem)
            reports.append(report)
        return reports
    finally:
        await bootstrap.stop(runtime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1_000)
    args = parser.parse_args()
    url = database_url_or_temporary(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="opengroups-bench-ldap-"))
    tree = generated("bench", users=args.users, groups=args.groups)
    server = Slapd(folder / "slapd")
    server.configure(list(tree.entries()))
    server.start()
    try:
        identity = folder / "identity.yaml"
        identity.write_text(
            yaml.safe_dump(
                {
                    "ldap": {
                        "url": server.url,
                        "bind_dn": READER_DN,
                        "bind_password": READER_PASSWORD,
                        "timeout_seconds": 60,
                        "user_base": tree.user_base,
                        "group_base": tree.group_base,
                        "nested_depth": 10,
                        "groups": {"create_groups": True},
                    }
                }
            ),
            encoding="utf-8",
        )
        first, second = asyncio.run(_run(url, identity, folder / "data"))
    finally:
        server.stop()
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{dialect}: {args.users} users, {args.groups} groups")
    print(_line("first sync", first))
    print(_line("second sync (no change)", second))


if __name__ == "__main__":
    main()
