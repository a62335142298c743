"""API keys authenticate and are stored only as a hash; bad JWTs are refused."""

from __future__ import annotations

import hashlib
import time

import jwt
import pytest

from opengroups.kit.db import Database
from tests.auths.conftest import AUTHS, SECRET_KEY, bearer, user_row
from tests.conftest import Account, Api, refused

ME = f"{AUTHS}/"


async def allow_api_keys_for_everyone(api: Api) -> None:
    response = await api.post("/api/v1/users/default/permissions", {"features": {"api_keys": True}})
    assert response.status_code == 200, response.text


async def new_key(api: Api, account: Account | None = None) -> str:
    await allow_api_keys_for_everyone(api)
    response = await api.post(f"{AUTHS}/api_key", account=account)
    assert response.status_code == 200, response.text
    key: str = response.json()["api_key"]
    return key


async def test_users_need_the_api_keys_permission(api: Api, database: Database) -> None:
    user, admin = await api.user("user"), await api.admin()
    refused_key = await api.post(f"{AUTHS}/api_key", account=user)
    assert refused_key.status_code == 403
    assert "features.api_keys" in refused_key.json()["detail"]
    assert (await user_row(database, user.id))["api_key_hash"] is None

    assert (await api.post(f"{AUTHS}/api_key", account=admin)).status_code == 200
    group = await api.group("Key holders", permissions={"features": {"api_keys": True}})
    await api.add(group["id"], user.id)
    assert (await api.post(f"{AUTHS}/api_key", account=user)).status_code == 200


async def test_api_key_has_the_sk_prefix_and_authenticates(api: Api) -> None:
    user = await api.user("user")

    key = await new_key(api, user)

    assert key.startswith("sk-")
    assert len(key) > len("sk-") + 20
    me = await api.client.get(ME, headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user.id
    groups = await api.client.get("/api/v1/users/groups", headers=bearer(key))
    assert groups.status_code == 200, groups.text


async def test_only_the_sha256_of_the_key_is_stored(api: Api, database: Database) -> None:
    user = await api.user("user")

    key = await new_key(api, user)

    row = await user_row(database, user.id)
    assert row["api_key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    for column, value in row.items():
        assert key not in str(value), column
        assert key.removeprefix("sk-") not in str(value), column


async def test_a_new_key_replaces_the_old_one(api: Api) -> None:
    user = await api.user("user")
    old = await new_key(api, user)

    new = await new_key(api, user)

    assert new != old
    assert (await api.client.get(ME, headers=bearer(old))).status_code == 401
    assert (await api.client.get(ME, headers=bearer(new))).status_code == 200


async def test_deleting_the_key_revokes_it(api: Api, database: Database) -> None:
    user = await api.user("user")
    key = await new_key(api, user)

    response = await api.delete(f"{AUTHS}/api_key", account=user)

    assert response.status_code == 200, response.text
    assert response.json() is True
    assert (await api.client.get(ME, headers=bearer(key))).status_code == 401
    assert (await user_row(database, user.id))["api_key_hash"] is None
    # The JWT session is not affected.
    assert (await api.get(ME, account=user)).status_code == 200


async def test_keys_of_two_users_are_distinct(api: Api) -> None:
    first, second = await api.user("user"), await api.user("user")

    first_key, second_key = await new_key(api, first), await new_key(api, second)

    assert first_key != second_key
    assert (await api.client.get(ME, headers=bearer(first_key))).json()["id"] == first.id
    assert (await api.client.get(ME, headers=bearer(second_key))).json()["id"] == second.id


async def test_unknown_api_key_is_401(api: Api, database: Database) -> None:
    await api.admin()

    await refused(database, api.client.get(ME, headers=bearer("sk-" + "0" * 48)), 401)


async def test_api_key_routes_need_a_credential(api: Api, database: Database) -> None:
    await api.admin()

    await refused(database, api.client.post(f"{AUTHS}/api_key"), 401)
    await refused(database, api.client.delete(f"{AUTHS}/api_key"), 401)


def _token(user_id: str, *, exp: int, secret: str = SECRET_KEY) -> str:
    now = int(time.time())
    return jwt.encode({"id": user_id, "iat": min(now, exp), "exp": exp}, secret, "HS256")


async def test_a_token_signed_like_the_server_works(api: Api) -> None:
    # Guards the tests below: they fail for the reason they name, not a wrong secret.
    user = await api.user("user")

    token = _token(user.id, exp=int(time.time()) + 600)

    assert (await api.client.get(ME, headers=bearer(token))).status_code == 200


async def test_expired_token_is_401(api: Api) -> None:
    user = await api.user("user")

    token = _token(user.id, exp=int(time.time()) - 3600)

    response = await api.client.get(ME, headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "detail" in response.json()


def _tamper_payload(token: str, other_user_id: str) -> str:
    """Swap the payload for one naming another user, keeping the original signature."""
    header, _payload, signature = token.split(".")
    forged = jwt.encode({"id": other_user_id, "exp": int(time.time()) + 600}, "x" * 32, "HS256")
    return f"{header}.{forged.split('.')[1]}.{signature}"


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


@pytest.mark.parametrize("tamper", ["payload", "signature", "secret", "no-exp", "garbage"])
async def test_tampered_token_is_401(api: Api, tamper: str) -> None:
    admin = await api.admin()
    user = await api.user("user")
    if tamper == "payload":
        token = _tamper_payload(user.token, admin.id)
    elif tamper == "signature":
        token = _tamper_signature(user.token)
    elif tamper == "secret":
        token = _token(
            admin.id, exp=int(time.time()) + 600, secret="another-secret-of-32-bytes-or-more"
        )
    elif tamper == "no-exp":
        token = jwt.encode({"id": admin.id}, SECRET_KEY, "HS256")
    else:
        token = "not.a.jwt"

    response = await api.client.get(ME, headers=bearer(token))

    assert response.status_code == 401, response.text


async def test_token_of_a_deleted_user_is_401(api: Api) -> None:
    user = await api.user("user")
    key = await new_key(api, user)
    assert (await api.delete(f"/api/v1/users/{user.id}")).status_code == 200

    assert (await api.get(ME, account=user)).status_code == 401
    assert (await api.client.get(ME, headers=bearer(key))).status_code == 401
