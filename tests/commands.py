"""Running the ``opengroups`` command as an operator would, from tests.

A test whose app shares the event loop (the ``api`` fixture) awaits ``cli``: the app's own
work (its start-up maintenance) may be inside a write transaction, and a blocking call on the
loop would hold that transaction open while the command waits for SQLite's write lock, until
the command gave up with "database is locked". ``run_cli`` blocks, for tests without an app.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from tests.servers import OPENGROUPS


def run_cli(
    *args: str,
    database_url: str,
    data_dir: Path,
    stdin: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command's outcome; ``stdin`` is its standard input (none: empty), ``settings`` more
    environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {
        "OPENGROUPS_DATABASE_URL": database_url,
        "OPENGROUPS_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
        **(settings or {}),
    }
    return subprocess.run(
        [OPENGROUPS, *args],
        env=env,
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``run_cli`` in a thread, so that the event loop (and an app on it) keeps running."""
    return await asyncio.to_thread(run_cli, *args, database_url=database_url, data_dir=data_dir)
