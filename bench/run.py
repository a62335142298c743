"""The whole benchmark in one command: 1 % data set, then the full one, 1 and 2 server processes.

    .venv/bin/python bench/run.py                                       # SQLite (a temporary file)
    .venv/bin/python bench/run.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Generates the 1 % data set and measures it with one server process, then the full data set
(100,000 users, 10,000 groups, 1,000,000 memberships) with one and with two processes, and
prints each table followed by the scaling check: every latency at full scale over the same at
1 %. The database is emptied first (a PostgreSQL database must exist). About 8 minutes on
SQLite, a little more on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from pathlib import Path
from typing import Any

from common import database_url_or_temporary
from generate import generate
from load import ADD_MEMBERS, Report, measure, print_report

SEED = 2026


def describe(data: dict[str, Any], workers: int, validation: str) -> str:
    return (
        f"{data['database_url'].split('+')[0]}: {data['users']:,} users, {data['groups']:,} "
        f"groups, {data['memberships']:,} memberships; {workers} server process(es); cache "
        f"validation {validation}; latencies in ms"
    )


def print_scaling(small: Report, full: Report) -> None:
    """Full-scale latency over 1 %-scale latency, one connection (the target is ≤ 1.5)."""
    print("\nscaling: latency at full scale / at 1 % (one connection; target ≤ 1.5)")
    by_name = {row.name: row for row in small.rows}
    for row in full.rows:
        before = by_name.get(row.name)
        if before is None:
            continue
        p50 = row.p50_1 / before.p50_1 if before.p50_1 else math.nan
        p99 = row.p99_1 / before.p99_1 if before.p99_1 else math.nan
        label = "median / max of 5" if row.name == ADD_MEMBERS else "p50 / p99"
        print(f"{row.name:44} {p50:6.2f} {p99:6.2f}   ({label})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--duration", type=float, default=5, help="seconds per scenario")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    parser.add_argument(
        "--cache-validation",
        choices=["auto", "host", "database"],
        default="auto",
        help="OPENGROUPS_CACHE_VALIDATION for the server (auto: host on SQLite, database on "
        "PostgreSQL)",
    )
    parser.add_argument(
        "--processes", default="1,2", help="server processes to measure at full scale: 1,2"
    )
    args = parser.parse_args()
    url = database_url_or_temporary(args.database_url)
    settings = {"OPENGROUPS_CACHE_VALIDATION": args.cache_validation}

    def run(data: dict[str, Any], workers: int) -> Report:
        label = describe(data, workers, args.cache_validation)
        report = measure(
            data, workers=workers, duration=args.duration, label=label, settings=settings
        )
        print_report(report)
        return report

    reports: list[Report] = [run(asyncio.run(generate(url, 0.01, SEED)), 1)]
    full = asyncio.run(generate(url, 1.0, SEED))
    print(f"\nfull data set generated in {full['seconds']} s")
    reports += [run(full, int(count)) for count in args.processes.split(",")]
    print_scaling(reports[0], reports[1])
    if args.out:
        args.out.write_text(
            json.dumps(
                [
                    {"label": r.label, "rss_mb": r.rss_mb, "rows": [vars(x) for x in r.rows]}
                    for r in reports
                ],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
