"""Fuzz the HTTP API with schemathesis against a real ``opengroups serve``.

Usage: ``.venv/bin/python .ci/fuzz.py DATABASE_URL [--seconds N]``

Starts the server on a free loopback port with a fresh database (the URL's SQLite file is
created; a PostgreSQL database is emptied), signs up an admin and two plain users (``alice`` and
``bob``, each in a group of their own), then runs ``st run --checks all`` twice: as the admin and
as alice, with alice and bob as peers for the object-level authorization check (each must not
see the other's objects). Each run is bounded by ``--seconds``. Exits non-zero when a run finds a
failure or the server logged a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
SETTINGS = Path(__file__).with_name("fuzz.toml")
PASSWORD = "fuzzing-password"
# Operations that would take the fuzzer's own credentials away mid-run (covered by the test
# suite instead: tests/auths/test_sessions.py).
SELF_DESTRUCTIVE = ["/api/v1/auths/signout"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def empty_postgres(url: str) -> None:
    from sqlalchemy import text

    from opengroups.kit import migrate
    from opengroups.kit.db import Database, create_engine
    from opengroups.models import data_tables_children_first

    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    database = Database(url)
    try:
        async with database.session(write=True) as session:
            for table in data_tables_children_first():
                await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our table names)
    finally:
        await database.dispose()


def start_server(database_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {
        "OPENGROUPS_DATABASE_URL": database_url,
        "OPENGROUPS_DATA_DIR": str(workdir),
        "OPENGROUPS_SECRET_KEY": "schemathesis-secret-key-long-enough-for-hs256",
        # Cheap hashing: the fuzzer signs in and up thousands of times.
        "OPENGROUPS_PASSWORD_HASH_TIME_COST": "1",
        "OPENGROUPS_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [str(BIN / "opengroups"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return process, base, log
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"the server did not get ready:\n{log.read_text()}")


def accounts(base: str) -> dict[str, str]:
    """Sign up the admin and two plain users, each user in a group of their own; their tokens."""
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = (
            http.post(
                "/api/v1/auths/signup",
                json={"name": "Admin", "email": "admin@example.com", "password": PASSWORD},
            )
            .raise_for_status()
            .json()
        )
        headers = {"Authorization": f"Bearer {admin['token']}"}
        tokens = {"admin": admin["token"]}
        for name in ("alice", "bob"):
            user = (
                http.post(
                    "/api/v1/auths/add",
                    json={
                        "name": name,
                        "email": f"{name}@example.com",
                        "password": PASSWORD,
                        "role": "user",
                    },
                    headers=headers,
                )
                .raise_for_status()
                .json()
            )
            group = (
                http.post(
                    "/api/v1/groups/create",
                    json={"name": f"{name}'s team", "data": {"config": {"share": False}}},
                    headers=headers,
                )
                .raise_for_status()
                .json()
            )
            http.post(
                f"/api/v1/groups/id/{group['id']}/users/add",
                json={"user_ids": [user["id"]]},
                headers=headers,
            ).raise_for_status()
            tokens[name] = user["token"]
        return tokens


def write_config(workdir: Path, tokens: dict[str, str], user: str) -> Path:
    auth = {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}],
            }
            for name, token in tokens.items()
        ]
    }
    (workdir / "auth.json").write_text(json.dumps(auth))
    config = workdir / f"schemathesis-{user}.toml"
    config.write_text(
        SETTINGS.read_text() + "\n[auth.wfc]\n"
        f'path = "{workdir / "auth.json"}"\n'
        f'user = "{user}"\n'
        'peers = ["alice", "bob"]\n'
    )
    return config


def fuzz(base: str, config: Path, seconds: int, reports: Path, user: str) -> int:
    command = [
        str(BIN / "st"),
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        "--max-time",
        str(seconds),
        # One worker: with two, Python 3.11's ast module (used by hypothesis to describe
        # strategies) can fail with "AST constructor recursion depth mismatch".
        "--workers",
        "1",
        "--request-timeout",
        # GET /changes may long-poll for up to 60 s.
        "90",
        "--report",
        "ndjson",
        "--report-dir",
        str(reports / user),
        "--no-color",
    ]
    for path in SELF_DESTRUCTIVE:
        command += ["--exclude-path", path]
    print("$", " ".join(command), flush=True)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parent)}  # fuzz_hooks
    return subprocess.run(  # noqa: S603
        command, check=False, timeout=seconds + 300, env=env
    ).returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--reports", type=Path, help="keep schemathesis's reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="og-fuzz-") as folder:
        workdir = Path(folder)
        url = args.database_url
        if url.startswith("postgresql"):
            asyncio.run(empty_postgres(url))
        elif url == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
        reports = args.reports or workdir / "reports"
        process, base, log = start_server(url, workdir)
        try:
            tokens = accounts(base)
            # The plain user first: the admin's run may change alice's password or role (that
            # is what admins may do), which would end her sessions.
            codes = [
                fuzz(base, write_config(workdir, tokens, user), args.seconds, reports, user)
                for user in ("alice", "admin")
            ]
        finally:
            process.terminate()
            process.wait(timeout=30)
        server_log = log.read_text()
        if "Traceback" in server_log:
            print(server_log[-20_000:])
            print("the server logged a traceback")
            return 1
        print(f"schemathesis exit codes (alice, admin): {codes}")
        return max(codes)


if __name__ == "__main__":
    sys.exit(main())
