"""``POST /users/{id}/update`` and ``DELETE /users/{id}``."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Account, Api, refused, table_counts
from tests.users.conftest import USERS, insert_users, rows

SIGNIN = "/api/v1/auths/signin"


def update_path(user_id: str) -> str:
    return f"{USERS}/{user_id}/update"


async def signed_in_again(api: Api, account: Account) -> Account:
    """A new role ends the sessions from before (``test_sessions.py``): a fresh sign-in."""
    response = await api.client.post(SIGNIN, json={"email": account.email, "password": "user-pw"})
    assert response.status_code == 200, response.text
    return Account(account.id, account.email, response.json()["token"])


async def test_update_changes_only_the_fields_sent(api: Api) -> None:
    user = await api.user("user", name="Before")

    response = await api.post(update_path(user.id), {"name": "After"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "After"
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["profile_image_url"] == f"/api/v1/users/{body['id']}/profile/image"
    assert "password_hash" not in body
    stored = (await api.get(f"{USERS}/{user.id}")).json()
    assert stored["name"] == "After"
    assert stored["email"] == user.email
    signin = await api.client.post(SIGNIN, json={"email": user.email, "password": "user-pw"})
    assert signin.status_code == 200, "an update without a password keeps the password"


async def test_update_changes_the_role(api: Api) -> None:
    user = await api.user("pending")

    response = await api.post(update_path(user.id), {"role": "user"})

    assert response.json()["role"] == "user"
    assert (await api.get(f"{USERS}/groups", account=user)).status_code == 401  # ended
    again = await signed_in_again(api, user)
    assert (await api.get(f"{USERS}/groups", account=again)).status_code == 200


async def test_update_can_promote_to_admin(api: Api) -> None:
    user = await api.user("user")

    await api.post(update_path(user.id), {"role": "admin"})

    again = await signed_in_again(api, user)
    assert (await api.get(f"{USERS}/", account=again)).status_code == 200


async def test_update_email_is_lower_cased(api: Api) -> None:
    user = await api.user("user")

    response = await api.post(update_path(user.id), {"email": "New.Address@Example.com"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == "new.address@example.com"
    signin = await api.client.post(
        SIGNIN, json={"email": "new.address@example.com", "password": "user-pw"}
    )
    assert signin.status_code == 200, signin.text


async def test_update_to_own_email_is_fine(api: Api) -> None:
    user = await api.user("user")

    response = await api.post(update_path(user.id), {"email": user.email.upper()})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == user.email


@pytest.mark.parametrize("email", ["admin@example.com", "ADMIN@Example.COM"])
async def test_update_to_a_taken_email_is_409(api: Api, database: Database, email: str) -> None:
    user = await api.user("user")

    await refused(database, api.post(update_path(user.id), {"email": email, "name": "X"}), 409)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "not-an-email"}, id="bad-email"),
        pytest.param({"role": "superuser"}, id="bad-role"),
        pytest.param({"name": "   "}, id="blank-name"),
        pytest.param({"password": ""}, id="empty-password"),
    ],
)
async def test_update_with_bad_fields_is_422(
    api: Api, database: Database, body: dict[str, Any]
) -> None:
    user = await api.user("user")

    await refused(database, api.post(update_path(user.id), body), 422)


async def test_primary_admins_role_cannot_change(api: Api, database: Database) -> None:
    admin = await api.admin()
    other_admin = await api.user("admin")

    for actor in (admin, other_admin):
        for role in ("user", "pending"):
            await refused(
                database, api.post(update_path(admin.id), {"role": role}, account=actor), 403
            )


async def test_primary_admin_is_the_first_account_even_within_the_same_second(
    api: Api, database: Database
) -> None:
    # Creation times have one-second resolution: an admin created in the same second as the
    # first account, whose id happens to sort first, must not take over as primary admin.
    admin = await api.admin()
    [(created_at,)] = await rows(
        database, 'SELECT created_at FROM "user" WHERE id = :id', id=admin.id
    )
    twin_id = "00000000-0000-4000-8000-000000000000"
    await insert_users(database, ["Twin"], created_at=created_at, role="admin", ids=[twin_id])

    demote_twin = await api.post(update_path(twin_id), {"role": "user"})
    assert demote_twin.status_code == 200, demote_twin.text
    await refused(database, api.post(update_path(admin.id), {"role": "user"}), 403)


async def test_primary_admin_may_change_other_fields(api: Api) -> None:
    admin = await api.admin()

    response = await api.post(update_path(admin.id), {"name": "Chief", "role": "admin"})

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Chief"
    assert response.json()["role"] == "admin"


async def test_another_admin_can_be_demoted(api: Api) -> None:
    other_admin = await api.user("admin")

    response = await api.post(update_path(other_admin.id), {"role": "user"})

    assert response.json()["role"] == "user"
    again = await signed_in_again(api, other_admin)
    assert (await api.get(f"{USERS}/", account=again)).status_code == 403


async def test_password_change_lets_the_user_sign_in_with_the_new_one(
    api: Api, database: Database
) -> None:
    user = await api.user("user")

    response = await api.post(update_path(user.id), {"password": "brand-new-pw"})

    assert response.status_code == 200, response.text
    new = await api.client.post(SIGNIN, json={"email": user.email, "password": "brand-new-pw"})
    old = await api.client.post(SIGNIN, json={"email": user.email, "password": "user-pw"})
    assert new.status_code == 200, new.text
    assert old.status_code == 400
    [(password_hash,)] = await rows(
        database, 'SELECT password_hash FROM "user" WHERE id = :id', id=user.id
    )
    assert password_hash.startswith("$argon2id$")


async def test_update_of_unknown_user_is_404(api: Api, database: Database) -> None:
    await api.admin()

    await refused(database, api.post(update_path("no-such-user"), {"name": "X"}), 404)


async def test_update_is_for_admins(api: Api, database: Database) -> None:
    user = await api.user("user")

    await refused(database, api.post(update_path(user.id), {"role": "admin"}, account=user), 403)


async def test_delete_removes_the_user_and_every_membership(api: Api, database: Database) -> None:
    first = await api.group("First")
    second = await api.group("Second")
    leaving = await api.user("user")
    staying = await api.user("user")
    await api.add(first["id"], leaving.id, staying.id)
    await api.add(second["id"], leaving.id)
    before = await table_counts(database)

    response = await api.delete(f"{USERS}/{leaving.id}")

    assert response.status_code == 200, response.text
    assert response.json() is True
    assert (await api.get(f"{USERS}/{leaving.id}")).status_code == 404
    assert (
        await rows(database, "SELECT * FROM group_member WHERE user_id = :id", id=leaving.id) == []
    )
    assert (
        await rows(database, "SELECT * FROM group_member_source WHERE user_id = :id", id=leaving.id)
        == []
    )
    after = await table_counts(database)
    assert after["user"] == before["user"] - 1
    assert after["group_member"] == before["group_member"] - 2
    assert after["group_member_source"] == before["group_member_source"] - 2
    counts = {
        group["name"]: group["member_count"] for group in (await api.get("/api/v1/groups/")).json()
    }
    assert counts == {"First": 1, "Second": 0}
    assert (await api.get(f"{USERS}/{staying.id}/groups")).json()[0]["id"] == first["id"]


async def test_deleted_user_no_longer_has_permissions_cached(api: Api) -> None:
    # The user's own token was answered from the caches before the deletion: the next request
    # with it must be refused, not served from what was cached.
    group = await api.group("Keys", permissions={"features": {"api_keys": True}})
    user = await api.user("user")
    await api.add(group["id"], user.id)
    mine = await api.get("/api/v1/users/permissions", user)
    assert mine.json()["features"]["api_keys"] is True  # now cached
    assert (await api.get("/api/v1/auths/", user)).status_code == 200

    await api.delete(f"{USERS}/{user.id}")

    assert (await api.get("/api/v1/users/permissions", user)).status_code == 401
    assert (await api.get("/api/v1/auths/", user)).status_code == 401
    assert (await api.get(f"{USERS}/{user.id}/permissions")).status_code == 404


async def test_deleting_oneself_is_403(api: Api, database: Database) -> None:
    other_admin = await api.user("admin")

    await refused(database, api.delete(f"{USERS}/{other_admin.id}", account=other_admin), 403)


async def test_primary_admin_cannot_be_deleted(api: Api, database: Database) -> None:
    admin = await api.admin()
    other_admin = await api.user("admin")

    await refused(database, api.delete(f"{USERS}/{admin.id}", account=other_admin), 403)
    await refused(database, api.delete(f"{USERS}/{admin.id}"), 403)


async def test_delete_unknown_user_is_404(api: Api, database: Database) -> None:
    await api.admin()

    await refused(database, api.delete(f"{USERS}/no-such-user"), 404)


async def test_delete_is_for_admins(api: Api, database: Database) -> None:
    user = await api.user("user")
    victim = await api.user("user")

    await refused(database, api.delete(f"{USERS}/{victim.id}", account=user), 403)
    await refused(database, api.client.delete(f"{USERS}/{victim.id}"), 401)
