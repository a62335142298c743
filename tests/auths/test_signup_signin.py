"""Sign-up, sign-in, admin-created accounts and the session route."""

from __future__ import annotations

import httpx
import pytest

from opengroups.kit.db import Database
from tests.auths.conftest import AUTHS, SESSION_FIELDS, bearer, signup, user_row
from tests.conftest import Api, StartApi, refused


async def test_first_signup_is_admin_and_the_next_is_pending(client: httpx.AsyncClient) -> None:
    first = await signup(client, "first@example.com")
    second = await signup(client, "second@example.com")

    assert first.status_code == 200, first.text
    assert first.json()["role"] == "admin"
    assert second.status_code == 200, second.text
    assert second.json()["role"] == "pending"


async def test_signup_response_has_the_open_webui_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{AUTHS}/signup",
        json={"name": "Ada", "email": "ada@example.com", "password": "pw"},
    )

    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["token_type"] == "Bearer"
    assert body["token"]
    assert isinstance(body["expires_at"], int)
    assert body["name"] == "Ada"
    assert body["email"] == "ada@example.com"
    assert body["profile_image_url"] == f"/api/v1/users/{body['id']}/profile/image"
    assert isinstance(body["permissions"], dict)
    assert "features" in body["permissions"]


async def test_default_user_role_setting_applies_to_later_signups(start_api: StartApi) -> None:
    started = await start_api(default_user_role="user")

    first = await signup(started.api.client, "first@example.com")
    second = await signup(started.api.client, "second@example.com")

    assert first.json()["role"] == "admin"
    assert second.json()["role"] == "user"
    assert isinstance(second.json()["permissions"], dict)


async def test_disabled_signup_still_lets_the_first_account_in(start_api: StartApi) -> None:
    started = await start_api(enable_signup=False)

    first = await signup(started.api.client, "first@example.com")
    assert first.status_code == 200, first.text
    assert first.json()["role"] == "admin"

    await refused(started.database, signup(started.api.client, "second@example.com"), 403)


async def test_signup_can_be_switched_off_by_the_admin_config(api: Api, database: Database) -> None:
    response = await api.post(f"{AUTHS}/admin/config", {"ENABLE_SIGNUP": False})
    assert response.status_code == 200, response.text
    assert response.json()["ENABLE_SIGNUP"] is False

    await refused(database, signup(api.client, "late@example.com"), 403)


async def test_email_is_stored_lower_case(client: httpx.AsyncClient, database: Database) -> None:
    response = await signup(client, "  Mixed.Case@Example.COM ")

    assert response.json()["email"] == "mixed.case@example.com"
    row = await user_row(database, response.json()["id"])
    assert row["email"] == "mixed.case@example.com"


async def test_email_is_unique_case_insensitively(
    client: httpx.AsyncClient, database: Database
) -> None:
    assert (await signup(client, "taken@example.com")).status_code == 200

    response = await refused(database, signup(client, "TAKEN@Example.com"), 409)
    assert "taken@example.com" in response.json()["detail"]


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "no-at-sign.example.com", "two@@example.com", "a@b", "", "sp ace@example.com"],
)
async def test_invalid_email_is_422(
    client: httpx.AsyncClient, database: Database, email: str
) -> None:
    await signup(client, "admin@example.com")

    response = await refused(database, signup(client, email), 422)
    assert isinstance(response.json()["detail"], list)


async def test_password_is_stored_as_argon2id(
    client: httpx.AsyncClient, database: Database
) -> None:
    response = await signup(client, "hashed@example.com", password="correct horse")

    row = await user_row(database, response.json()["id"])
    assert row["password_hash"].startswith("$argon2id$")
    assert "correct horse" not in row["password_hash"]


async def test_signin_with_the_right_password_returns_a_working_token(
    client: httpx.AsyncClient,
) -> None:
    user_id = (await signup(client, "me@example.com", password="s3cret")).json()["id"]

    response = await client.post(
        f"{AUTHS}/signin", json={"email": "ME@example.com", "password": "s3cret"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["id"] == user_id
    me = await client.get(f"{AUTHS}/", headers=bearer(body["token"]))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("me@example.com", "wrong", id="wrong-password"),
        pytest.param("me@example.com", "", id="empty-password"),
        pytest.param("nobody@example.com", "s3cret", id="unknown-email"),
    ],
)
async def test_signin_with_bad_credentials_is_400(
    client: httpx.AsyncClient, database: Database, email: str, password: str
) -> None:
    await signup(client, "me@example.com", password="s3cret")

    response = await refused(
        database,
        client.post(f"{AUTHS}/signin", json={"email": email, "password": password}),
        400,
        recorded={"audit_event", "signin_failure"},  # the failure is counted and audited
    )
    assert "token" not in response.json()


async def test_admin_adds_a_user_who_is_pending_by_default(api: Api, database: Database) -> None:
    response = await api.post(
        f"{AUTHS}/add", {"name": "New", "email": "New@Example.com", "password": "pw"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SESSION_FIELDS
    assert body["role"] == "pending"
    assert body["email"] == "new@example.com"
    assert body["permissions"] is None
    row = await user_row(database, body["id"])
    assert row["role"] == "pending"
    assert row["password_hash"].startswith("$argon2id$")
    signin = await api.client.post(
        f"{AUTHS}/signin", json={"email": "new@example.com", "password": "pw"}
    )
    assert signin.status_code == 200, signin.text


async def test_admin_adds_a_user_with_a_role(api: Api) -> None:
    response = await api.post(
        f"{AUTHS}/add",
        {"name": "Boss", "email": "boss@example.com", "password": "pw", "role": "admin"},
    )

    assert response.json()["role"] == "admin"


async def test_add_refuses_a_taken_email(api: Api, database: Database) -> None:
    await api.user()

    await refused(
        database,
        api.post(f"{AUTHS}/add", {"name": "Dup", "email": "USER1@example.com", "password": "pw"}),
        409,
    )


async def test_add_is_for_admins_only(api: Api, database: Database) -> None:
    user = await api.user("user")
    body = {"name": "X", "email": "x@example.com", "password": "pw"}

    await refused(database, api.post(f"{AUTHS}/add", body, account=user), 403)
    await refused(database, api.client.post(f"{AUTHS}/add", json=body), 401)


async def test_session_route_returns_the_caller_with_permissions(api: Api) -> None:
    user = await api.user("user", name="Grace")

    response = await api.get(f"{AUTHS}/", account=user)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == user.id
    assert body["name"] == "Grace"
    assert body["role"] == "user"
    assert body["token"] == user.token
    assert body["permissions"]["features"]["api_keys"] is False


async def test_session_route_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{AUTHS}/")

    assert response.status_code == 401
    assert "detail" in response.json()


async def test_pending_user_sees_itself_and_nothing_else(api: Api) -> None:
    pending = await api.user("pending")

    me = await api.get(f"{AUTHS}/", account=pending)
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "pending"
    assert me.json()["permissions"] is None

    for path in ("/api/v1/users/groups", "/api/v1/users/permissions", "/api/v1/groups/"):
        response = await api.get(path, account=pending)
        assert response.status_code == 401, (path, response.text)
    key = await api.post(f"{AUTHS}/api_key", account=pending)
    assert key.status_code == 401, key.text


async def test_the_session_route_tells_when_the_token_expires(client: httpx.AsyncClient) -> None:
    signed = (await signup(client, "ida@example.com")).json()
    session = await client.get(f"{AUTHS}/", headers=bearer(signed["token"]))
    assert session.status_code == 200, session.text
    assert session.json()["expires_at"] == signed["expires_at"]
    key = await client.post(f"{AUTHS}/api_key", headers=bearer(signed["token"]))
    assert key.status_code == 200, key.text
    by_key = await client.get(f"{AUTHS}/", headers=bearer(key.json()["api_key"]))
    assert by_key.json()["expires_at"] is None  # an API key does not expire


async def test_admin_details_are_not_published_by_default(api: Api) -> None:
    user = await api.user()
    hidden = await api.get(f"{AUTHS}/admin/details", user)
    assert hidden.status_code == 403
    assert "OPENGROUPS_SHOW_ADMIN_DETAILS" in hidden.json()["detail"]


async def test_admin_details_where_the_operator_publishes_them(start_api: StartApi) -> None:
    published = (await start_api(show_admin_details=True)).api
    reader = await published.user()
    shown = await published.get(f"{AUTHS}/admin/details", reader)
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"name": "Admin", "email": "admin@example.com"}
    anonymous = await published.client.get(f"{AUTHS}/admin/details")
    assert anonymous.status_code == 401
