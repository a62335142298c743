"""Load driver: throughput and latency of the main routes against a generated data set.

    .venv/bin/python bench/generate.py --database-url URL --out bench-data.json
    .venv/bin/python bench/load.py --data bench-data.json [--workers 2] [--duration 5]

Starts `opengroups serve` on the generated database, then measures each scenario with Debian's
`wrk` (a Python client could not outrun the server on two cores): once with 16 connections
(throughput, and latency under saturation) and once with a single connection (the latency of
one request: server time plus loopback, no queueing). Adding 1,000 members in one call is timed
from Python. Prints a table and the resident memory of the server processes.
`bench/run.py` chains the generator and this driver at 1 % and at full scale.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from opengroups.auths.security import issue_token

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
OPENGROUPS = str(Path(shutil.which("opengroups") or ".venv/bin/opengroups"))
LOADED_CONNECTIONS = 16
ADD_MEMBERS = "add 1,000 members in one call"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    token: str
    method: str = "GET"
    body: str | None = None


@dataclass
class Measured:
    """One scenario's figures: at 16 connections (rps, p50, p99) and at one (p50_1, p99_1)."""

    name: str
    rps: float = float("nan")
    p50: float = float("nan")
    p99: float = float("nan")
    p50_1: float = float("nan")
    p99_1: float = float("nan")
    errors: int = 0


@dataclass
class Report:
    label: str
    rows: list[Measured] = field(default_factory=list)
    rss_mb: float = 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def lua(scenario: Scenario) -> str:
    script = [
        f'wrk.method = "{scenario.method}"',
        f'wrk.headers["Authorization"] = "Bearer {scenario.token}"',
    ]
    if scenario.body is not None:
        script += [
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(scenario.body)}",
        ]
    return "\n".join(script) + "\n"


def run_wrk(url: str, script: Path, duration: float, connections: int) -> dict[str, float]:
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{round(duration)}s", "--latency"]
    output = subprocess.run(
        [*command, "-s", str(script), url],
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


@contextmanager
def running_server(
    database_url: str, workers: int, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """``opengroups serve`` on the database (plus any ``OPENGROUPS_*`` ``settings``): yields
    its base URL and process id."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {
        "OPENGROUPS_DATABASE_URL": database_url,
        "OPENGROUPS_SECRET_KEY": SECRET,
        "OPENGROUPS_DATA_DIR": tempfile.mkdtemp(prefix="opengroups-load-"),
        "OPENGROUPS_LOG_LEVEL": "warning",
        **(settings or {}),
    }
    command = [OPENGROUPS, "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def scenarios(base: str, data: dict[str, Any]) -> list[Scenario]:
    admin = data["admin_api_key"]
    probe = issue_token(data["probe_user_id"], secret=SECRET, expires_in=86400).token
    largest, user = data["largest_group_id"], data["probe_user_id"]
    headers = {"Authorization": f"Bearer {admin}"}
    defaults = httpx.get(f"{base}/api/v1/users/default/permissions/defaults", headers=headers)
    keys = [f"{section}.{key}" for section, tree in defaults.json().items() for key in tree]
    checks = [{"user_id": user, "key": keys[i % len(keys)]} for i in range(100)]
    return [
        Scenario("auth floor: GET /auths/", "/api/v1/auths/", probe),
        Scenario("effective permissions (user in 20 groups)", "/api/v1/users/permissions", probe),
        Scenario(
            "batch check of 100 keys",
            "/api/v1/permissions/check",
            admin,
            "POST",
            json.dumps({"checks": checks}),
        ),
        Scenario("list groups as admin (page of 50)", "/api/v1/groups/?limit=50", admin),
        Scenario("list groups as a user (page of 50)", "/api/v1/groups/?limit=50", probe),
        Scenario("get one group", f"/api/v1/groups/id/{largest}", admin),
        Scenario(
            "members page of 100 (50,000-member group)",
            f"/api/v1/groups/id/{largest}/members?membership=direct&limit=100",
            admin,
        ),
        Scenario("has_access", f"/api/v1/grants/model/model-00001/access?user_id={user}", admin),
        Scenario("accessible resource ids", f"/api/v1/grants/model?user_id={user}", admin),
        Scenario("export of the largest group", f"/api/v1/groups/id/{largest}/export", admin),
    ]


COLD = "effective permissions, 10,000 users (cold)"


def cold_lua(tokens_file: Path) -> str:
    """Each request as another user, in turn: every request misses the caches once."""
    return f"""
local tokens = {{}}
for line in io.lines("{tokens_file}") do tokens[#tokens + 1] = line end
local counter = 0
-- Each thread starts at its own place in the list (the global ``offset``, set by setup).
setup = function(thread) thread:set("offset", math.random(#tokens)) end
request = function()
  counter = counter + 1
  local token = tokens[((offset + counter) % #tokens) + 1]
  return wrk.format("GET", "/api/v1/users/permissions", {{["Authorization"] = "Bearer " .. token}})
end
"""


def measure_cold(base: str, data: dict[str, Any], folder: Path) -> Measured:
    """Effective permissions of 10,000 different users, each computed once (one pass)."""
    users = data.get("sample_user_ids", [])
    tokens = folder / "tokens.txt"
    tokens.write_text(
        "\n".join(issue_token(u, secret=SECRET, expires_in=86400).token for u in users) + "\n"
    )
    script = folder / "cold.lua"
    script.write_text(cold_lua(tokens))
    return measure_both(COLD, base + "/api/v1/users/permissions", script, 4)


def measure_both(name: str, url: str, script: Path, duration: float) -> Measured:
    """``script`` against ``url`` at 16 connections, then at one."""
    loaded = run_wrk(url, script, duration, LOADED_CONNECTIONS)
    single = run_wrk(url, script, max(2.0, duration / 2), 1)
    return Measured(
        name,
        rps=loaded["rps"],
        p50=loaded["p50"],
        p99=loaded["p99"],
        p50_1=single["p50"],
        p99_1=single["p99"],
        errors=int(loaded["errors"] + single["errors"]),
    )


def time_add_members(base: str, data: dict[str, Any]) -> Measured:
    """Add 1,000 users to a group in one call and remove them again, five times."""
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {data['admin_api_key']}"}, timeout=60
    ) as http:
        candidates: list[str] = []
        page = 1
        while len(candidates) < 1000:
            listed = http.get("/api/v1/users/", params={"page": page}).json()["users"]
            if not listed:
                break
            candidates += [u["id"] for u in listed if u["role"] == "user"]
            page += 1
        target = next(
            g["id"]
            for g in http.get("/api/v1/groups/", params={"limit": 50}).json()
            if g["id"] != data["largest_group_id"]
        )
        times = []
        for _ in range(5):
            started = time.perf_counter()
            added = http.post(
                f"/api/v1/groups/id/{target}/users/add", json={"user_ids": candidates[:1000]}
            )
            times.append((time.perf_counter() - started) * 1000)
            assert added.status_code == 200, added.text
            removed = http.post(
                f"/api/v1/groups/id/{target}/users/remove", json={"user_ids": candidates[:1000]}
            )
            assert removed.status_code == 200, removed.text
    return Measured(ADD_MEMBERS, p50_1=statistics.median(times), p99_1=max(times))


def measure(
    data: dict[str, Any],
    *,
    workers: int,
    duration: float,
    label: str,
    settings: dict[str, str] | None = None,
) -> Report:
    """Every scenario against a fresh server on ``data``'s database."""
    report = Report(label)
    with running_server(data["database_url"], workers, settings) as (base, pid):
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "scenario.lua"
            for scenario in scenarios(base, data):
                script.write_text(lua(scenario))
                url = base + scenario.path
                run_wrk(url, script, 1, 2)  # warm the caches and the connection pools
                report.rows.append(measure_both(scenario.name, url, script, duration))
            if data.get("sample_user_ids"):
                report.rows.append(measure_cold(base, data, Path(folder)))
        report.rows.append(time_add_members(base, data))
        report.rss_mb = rss_mb(pid)
    return report


def print_report(report: Report) -> None:
    print(f"\n{report.label}")
    print(
        f"{'scenario':44} {'req/s':>7} {'p50':>7} {'p99':>7} │ {'1 conn p50':>10} "
        f"{'p99':>7} {'errors':>6}"
    )
    for row in report.rows:
        rps = "" if row.name == ADD_MEMBERS else f"{row.rps:7.0f}"
        loaded = "" if row.name == ADD_MEMBERS else f"{row.p50:7.2f} {row.p99:7.2f}"
        print(
            f"{row.name:44} {rps:>7} {loaded:>15} │ {row.p50_1:10.2f} {row.p99_1:7.2f} "
            f"{row.errors:6d}"
        )
    print(f"server RSS after the run: {report.rss_mb:.0f} MB (all processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("bench-data.json"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--cache-validation", choices=["auto", "host", "database"], default="auto")
    args = parser.parse_args()
    data: dict[str, Any] = json.loads(args.data.read_text())
    label = (
        f"{data['database_url'].split('://')[0]}: {data['users']} users, {data['groups']} "
        f"groups, {data['memberships']} memberships; {args.workers} worker(s); "
        f"cache validation {args.cache_validation}; ms"
    )
    settings = {"OPENGROUPS_CACHE_VALIDATION": args.cache_validation}
    report = measure(
        data, workers=args.workers, duration=args.duration, label=label, settings=settings
    )
    print_report(report)


if __name__ == "__main__":
    main()
