"""The password policy (default: at least 8 characters, not only spaces, not the e-mail) holds
wherever a password is set: sign-up, ``/auths/add``, a user update and the CLI."""

from __future__ import annotations

import pytest

from opengroups.kit.db import Database
from opengroups.kit.passwords import Passwords
from tests.conftest import Api, StartApi, refused

WEAK = [
    ("short77", "at least 8"),
    ("        ", "only spaces"),
    ("Dora@Example.com", "e-mail"),
]


@pytest.fixture
async def strict(start_api: StartApi) -> tuple[Api, Database]:
    started = await start_api(password_min_length=8)
    return started.api, started.database


@pytest.mark.parametrize(("password", "reason"), WEAK)
async def test_sign_up_refuses_a_weak_password(
    strict: tuple[Api, Database], password: str, reason: str
) -> None:
    api, database = strict
    body = {"name": "Dora", "email": "dora@example.com", "password": password}
    response = await refused(database, api.client.post("/api/v1/auths/signup", json=body), 422)
    assert reason in response.json()["detail"]


@pytest.mark.parametrize(("password", "reason"), WEAK)
async def test_add_and_update_refuse_a_weak_password(
    strict: tuple[Api, Database], password: str, reason: str
) -> None:
    api, database = strict
    admin = await api.admin()
    body = {"name": "Dora", "email": "dora@example.com", "password": password, "role": "user"}
    response = await refused(database, api.post("/api/v1/auths/add", body, admin), 422)
    assert reason in response.json()["detail"]

    added = await api.post("/api/v1/auths/add", {**body, "password": "long-enough"}, admin)
    assert added.status_code == 200, added.text
    response = await refused(
        database,
        api.post(f"/api/v1/users/{added.json()['id']}/update", {"password": password}, admin),
        422,
    )
    assert reason in response.json()["detail"]


async def test_a_password_of_the_minimum_length_is_accepted(strict: tuple[Api, Database]) -> None:
    api, _database = strict
    body = {"name": "Dora", "email": "dora@example.com", "password": "8 chars!"}
    assert (await api.client.post("/api/v1/auths/signup", json=body)).status_code == 200


def test_the_default_policy_is_eight_characters() -> None:
    from opengroups.config import Settings

    assert Settings(_env_file=None).password_min_length == 8


@pytest.mark.parametrize("min_length", [1, 8, 32])
def test_a_generated_password_meets_the_policy(min_length: int) -> None:
    passwords = Passwords(min_length=min_length)
    generated = {passwords.generate() for _ in range(20)}

    assert len(generated) == 20  # random each time
    for password in generated:
        assert len(password) == max(20, min_length)
        passwords.check(password, email="dora@example.com")  # raises if refused
    passwords.close()
