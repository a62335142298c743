"""A flood of wrong sign-ins against a real ``opengroups serve``, with production-strength
hashing: no 5xx, the throttle answers 429 with ``Retry-After`` once the account's tries are used
up, and the server keeps answering other requests meanwhile (hashing runs off the event loop)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.servers import clean_environment, empty, running_server

FLOOD = 60


async def _flood(base_url: str) -> tuple[list[httpx.Response], list[int], list[float]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        signup = await http.post(
            "/api/v1/auths/signup",
            json={"name": "Admin", "email": "admin@example.com", "password": "admin-password"},
        )
        assert signup.status_code == 200, signup.text
        wrong = {"email": "admin@example.com", "password": "not-the-password"}
        flood = [
            asyncio.create_task(http.post("/api/v1/auths/signin", json=wrong)) for _ in range(FLOOD)
        ]
        # While the flood is being checked, the server answers /health: how long each took, and
        # how many sign-ins were still waiting when it came back.
        waiting: list[int] = []
        seconds: list[float] = []
        for _ in range(5):
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            health = await http.get("/health")
            seconds.append(time.perf_counter() - started)
            assert health.status_code == 200
            waiting.append(sum(not task.done() for task in flood))
        return list(await asyncio.gather(*flood)), waiting, seconds


def test_a_flood_of_wrong_sign_ins(migrated: str, tmp_path: Path) -> None:
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"),
        OPENGROUPS_DATABASE_URL=migrated,
        OPENGROUPS_PASSWORD_HASH_TIME_COST="3",
        OPENGROUPS_PASSWORD_HASH_MEMORY_KIB="65536",
        OPENGROUPS_PASSWORD_MIN_LENGTH="8",
    )
    with running_server(env, tmp_path, tmp_path / "serve.log") as base_url:
        responses, waiting, seconds = asyncio.run(_flood(base_url))

    statuses = [response.status_code for response in responses]
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(400) >= 5  # the account's tries
    refused = [response for response in responses if response.status_code == 429]
    assert refused, statuses
    assert all(int(response.headers["Retry-After"]) >= 1 for response in refused)
    # /health was answered while sign-ins were still being checked, promptly: a hash on the
    # event loop would hold it behind every queued hash (seconds; ~60 ms each here). The bound
    # is loose on purpose, far above a free loop's few milliseconds on a loaded machine.
    assert max(waiting) > 0, waiting
    assert max(seconds) < 1.0, seconds
