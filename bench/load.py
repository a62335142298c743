"""Load driver: throughput and latency of the main routes against a running data set.

    .venv/bin/python bench/generate.py --database-url URL --out bench-data.json
    .venv/bin/python bench/load.py --data bench-data.json [--workers 2] [--duration 10]

Starts `opengroups serve` on the generated database, then measures each scenario with Debian's
`wrk` (raw throughput and latency percentiles; a Python client could not outrun the server on
two cores) and a few multi-step ones from Python (adding 1,000 members in one call). Prints a
table, plus the resident memory of the server processes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from opengroups.auths.security import issue_token

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
OPENGROUPS = str(Path(shutil.which("opengroups") or ".venv/bin/opengroups"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def lua(method: str, token: str, body: str | None) -> str:
    script = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {token}"']
    if body is not None:
        script += [
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(body)}",
        ]
    return "\n".join(script) + "\n"


def run_wrk(url: str, script: Path, duration: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def millis(label: str) -> float:
        found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)) if rps else float("nan"),
        "p50": millis("50%"),
        "p99": millis("99%"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), in MB."""
    total = 0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for each in pids:
        status = Path(f"/proc/{each}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("bench-data.json"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    data: dict[str, Any] = json.loads(args.data.read_text())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {
        "OPENGROUPS_DATABASE_URL": data["database_url"],
        "OPENGROUPS_SECRET_KEY": SECRET,
        "OPENGROUPS_DATA_DIR": tempfile.mkdtemp(prefix="opengroups-load-"),
        "OPENGROUPS_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [OPENGROUPS, "serve", "--port", str(port), "--workers", str(args.workers)], env=env
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        admin = data["admin_api_key"]
        probe = issue_token(data["probe_user_id"], secret=SECRET, expires_in=86400).token
        largest, user = data["largest_group_id"], data["probe_user_id"]
        keys = list(
            httpx.get(
                f"{base}/api/v1/permissions/catalog", headers={"Authorization": f"Bearer {admin}"}
            ).json()["permissions"]
        )
        catalog = httpx.get(
            f"{base}/api/v1/users/default/permissions/defaults",
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        dotted = [f"{s}.{k}" for s in keys for k in catalog[s]][:100]
        check = json.dumps({"checks": [{"user_id": user, "key": k} for k in dotted]})
        scenarios = [
            ("auth floor: GET /auths/", "GET", "/api/v1/auths/", probe, None),
            (
                "effective permissions (user in 20 groups)",
                "GET",
                "/api/v1/users/permissions",
                probe,
                None,
            ),
            (
                f"batch check of {len(dotted)} keys",
                "POST",
                "/api/v1/permissions/check",
                admin,
                check,
            ),
            ("list groups as admin (page of 50)", "GET", "/api/v1/groups/?limit=50", admin, None),
            ("list groups as a user", "GET", "/api/v1/groups/", probe, None),
            ("get one group", "GET", f"/api/v1/groups/id/{largest}", admin, None),
            (
                "members page of 100 (largest group)",
                "GET",
                f"/api/v1/groups/id/{largest}/members?membership=direct&limit=100",
                admin,
                None,
            ),
            (
                "has_access",
                "GET",
                f"/api/v1/grants/model/model-00001/access?user_id={user}",
                admin,
                None,
            ),
            ("accessible resource ids", "GET", f"/api/v1/grants/model?user_id={user}", admin, None),
            (
                "export of the largest group",
                "GET",
                f"/api/v1/groups/id/{largest}/export",
                admin,
                None,
            ),
        ]
        print(
            f"database: {data['database_url'].split('://')[0]}, {data['users']} users, "
            f"{data['groups']} groups, {data['memberships']} memberships; "
            f"workers: {args.workers}"
        )
        print(f"{'scenario':48} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        with tempfile.TemporaryDirectory() as folder:
            for name, method, path, token, body in scenarios:
                script = Path(folder) / "s.lua"
                script.write_text(lua(method, token, body))
                result = run_wrk(base + path, script, args.duration, args.connections)
                print(
                    f"{name:48} {result['rps']:9.0f} {result['p50']:8.2f} {result['p99']:8.2f} "
                    f"{result['errors']:7.0f}"
                )
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {admin}"}, timeout=60
        ) as http:
            candidates: list[str] = []
            page = 1
            while len(candidates) < 1000:
                listed = http.get("/api/v1/users/", params={"page": page}).json()["users"]
                if not listed:
                    break
                candidates += [u["id"] for u in listed if u["role"] == "user"]
                page += 1
            group = data["largest_group_id"]
            target = next(
                g["id"]
                for g in http.get("/api/v1/groups/", params={"limit": 50}).json()
                if g["id"] != group
            )
            times = []
            for _ in range(5):
                started = time.perf_counter()
                added = http.post(
                    f"/api/v1/groups/id/{target}/users/add", json={"user_ids": candidates[:1000]}
                )
                times.append((time.perf_counter() - started) * 1000)
                assert added.status_code == 200, added.text
                http.post(
                    f"/api/v1/groups/id/{target}/users/remove", json={"user_ids": candidates[:1000]}
                )
            print(
                f"{'add 1,000 members in one call':48} {'':9} {statistics.median(times):8.1f} "
                f"{max(times):8.1f}   (median / max ms of 5)"
            )
        print(f"server RSS: {rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
