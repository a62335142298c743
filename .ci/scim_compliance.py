"""Check the SCIM service provider with scim2-tester (through scim2-cli) against a real
``opengroups serve``.

Usage: ``.venv/bin/python .ci/scim_compliance.py DATABASE_URL --scim2 PATH/TO/scim2``

Starts the server on a free loopback port with a fresh database (``sqlite``: a new file; a
PostgreSQL database is emptied), signs up an admin, creates a provisioning client, and runs
``scim2 --url …/scim/v2 test`` with its token, bounded in time. Exits non-zero unless every
check reports SUCCESS and the server logged no traceback. scim2-cli lives in a virtual
environment of its own (it pins other versions of the libraries the suite uses).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from fuzz import empty_postgres, start_server

TIMEOUT_SECONDS = 600
STATUSES = ("SUCCESS", "ERROR", "CRITICAL", "WARNING", "SKIPPED")


def provisioning_token(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = http.post(
            "/api/v1/auths/signup",
            json={"name": "Admin", "email": "admin@example.com", "password": "compliance-pw"},
        ).raise_for_status()
        headers = {"Authorization": f"Bearer {admin.json()['token']}"}
        client = http.post(
            "/api/v1/scim/clients", json={"name": "scim2-tester"}, headers=headers
        ).raise_for_status()
        token: str = client.json()["token"]
        return token


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--scim2", required=True, type=Path, help="scim2-cli's command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="og-scim-") as folder:
        workdir = Path(folder)
        url = args.database_url
        if url.startswith("postgresql"):
            asyncio.run(empty_postgres(url))
        elif url == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'scim.db'}"
        process, base, log = start_server(url, workdir)
        try:
            token = provisioning_token(base)
            command = [str(args.scim2), "--url", f"{base}/scim/v2", "test"]
            print("$", " ".join(command), flush=True)
            result = subprocess.run(  # noqa: S603 (our own command line)
                command,
                check=False,
                timeout=TIMEOUT_SECONDS,
                capture_output=True,
                text=True,
                # The token is passed in the environment, never on the command line.
                env={"SCIM_CLI_HEADERS": f"Authorization: Bearer {token}", "PATH": "/usr/bin"},
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
        output = result.stdout + result.stderr
        counts = {
            status: sum(line.startswith(status) for line in output.splitlines())
            for status in STATUSES
        }
        print(f"scim2-tester on {args.database_url}: exit {result.returncode}, {counts}")
        failed = (
            result.returncode != 0
            or counts["SUCCESS"] == 0
            or any(counts[status] for status in STATUSES if status != "SUCCESS")
        )
        if failed:
            print(output[-20_000:])
        if "Traceback" in log.read_text():
            print(log.read_text()[-20_000:])
            print("the server logged a traceback")
            return 1
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
