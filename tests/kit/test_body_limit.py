"""Request bodies over ``max_body_bytes`` are refused with 413 before anything reads them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from opengroups.app import runtime_of
from opengroups.kit.db import Database
from tests.conftest import AppFactory, snapshot

LIMIT = 1024
SIGNUP = "/api/v1/auths/signup"


def signup_body(size: int) -> bytes:
    """A valid sign-up body of exactly ``size`` bytes (the name pads it)."""
    base = {"name": "", "email": "big@example.com", "password": "pw"}
    padding = size - len(json.dumps(base).encode())
    assert padding > 0
    return json.dumps({**base, "name": "n" * padding}).encode()


async def chunks(body: bytes, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@dataclass
class Limited:
    client: httpx.AsyncClient
    database: Database


@pytest.fixture
async def limited(app_factory: AppFactory) -> AsyncIterator[Limited]:
    app = await app_factory(max_body_bytes=LIMIT)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Limited(client, runtime_of(app).database)


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/json"
    assert str(LIMIT) in response.json()["detail"]


async def test_body_with_a_large_content_length_is_413(limited: Limited) -> None:
    before = await snapshot(limited.database)

    response = await limited.client.post(
        SIGNUP, content=signup_body(LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert_too_large(response)
    assert await snapshot(limited.database) == before


async def test_streamed_body_over_the_limit_is_413(limited: Limited) -> None:
    before = await snapshot(limited.database)
    request = limited.client.build_request(
        "POST",
        SIGNUP,
        content=chunks(signup_body(LIMIT * 4)),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in request.headers

    response = await limited.client.send(request)

    assert_too_large(response)
    assert await snapshot(limited.database) == before


async def test_body_at_the_limit_is_accepted(limited: Limited) -> None:
    response = await limited.client.post(
        SIGNUP, content=signup_body(LIMIT), headers={"content-type": "application/json"}
    )

    assert response.status_code == 422  # the padded name is too long: read and validated


async def test_streamed_body_under_the_limit_is_accepted(limited: Limited) -> None:
    body = json.dumps({"name": "Small", "email": "small@example.com", "password": "pw"}).encode()

    response = await limited.client.post(
        SIGNUP, content=chunks(body, 8), headers={"content-type": "application/json"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "small@example.com"
