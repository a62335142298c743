"""The share rule (SPEC §4, unlike Open WebUI's §5.4): a non-admin naming a group in a grant
needs the group to exist and to accept them (``share``: true, or ``"members"`` and they are an
effective member); users named must exist; only holders of ``write`` change existing grants."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.authz.conftest import DEFAULTS
from tests.conftest import Api, refused
from tests.grants.conftest import GRANTS, grant, principals, put_grants, set_grants

UNKNOWN_GROUP = "00000000-0000-4000-8000-00000000beef"


def _shared(share: Any) -> dict[str, Any]:
    return {"data": {"config": {"share": share}}}


@pytest.mark.parametrize(
    ("share", "status"),
    [
        pytest.param(True, 200, id="share-true"),
        pytest.param("true", 200, id="share-string-true"),
        pytest.param(False, 403, id="share-false"),
        pytest.param("false", 403, id="share-string-false"),
        pytest.param("members", 403, id="members-and-not-a-member"),
    ],
)
async def test_non_admin_naming_a_group(
    api: Api, database: Database, share: Any, status: int
) -> None:
    group = await api.group("Target", **_shared(share))
    user = await api.user()
    body = {"grants": [grant("group", group["id"])]}

    if status == 200:
        response = await put_grants(api, "model/m", body, user)
        assert response.status_code == 200, response.text
        assert principals(response.json()) == {("group", group["id"], "read")}
    else:
        response = await refused(database, put_grants(api, "model/m", body, user), status)
        assert group["id"] in response.json()["detail"]


async def test_a_new_group_without_a_share_setting_is_for_its_members(api: Api) -> None:
    group = await api.group("Plain")
    user = await api.user()

    refused = await put_grants(api, "model/m", {"grants": [grant("group", group["id"])]}, user)
    await api.add(group["id"], user.id)
    allowed = await put_grants(api, "model/m", {"grants": [grant("group", group["id"])]}, user)

    assert (refused.status_code, allowed.status_code) == (403, 200), allowed.text


@pytest.mark.parametrize("via_child", [False, True], ids=["direct-member", "member-of-a-child"])
async def test_members_group_accepts_its_effective_members(api: Api, via_child: bool) -> None:
    group = await api.group("Members only", **_shared("members"))
    user = await api.user()
    if via_child:
        child = await api.group("Sub team", parent_group_id=group["id"])
        await api.add(child["id"], user.id)
    else:
        await api.add(group["id"], user.id)

    response = await put_grants(api, "model/m", {"grants": [grant("group", group["id"])]}, user)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("share", [False, "members"])
async def test_admin_may_name_any_existing_group(api: Api, share: Any) -> None:
    group = await api.group("Closed", **_shared(share))

    response = await put_grants(api, "model/m", {"grants": [grant("group", group["id"], "write")]})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("as_admin", [False, True], ids=["user", "admin"])
async def test_unknown_group_is_404(api: Api, database: Database, as_admin: bool) -> None:
    account = await api.admin() if as_admin else await api.user()
    body = {"grants": [grant("group", UNKNOWN_GROUP)]}

    response = await refused(database, put_grants(api, "model/m", body, account), 404)

    assert UNKNOWN_GROUP in response.json()["detail"]


@pytest.mark.parametrize("as_admin", [False, True], ids=["user", "admin"])
async def test_unknown_user_principal_is_404(api: Api, database: Database, as_admin: bool) -> None:
    account = await api.admin() if as_admin else await api.user()
    body = {"access_control": {"read": {"user_ids": ["ghost-user"]}}}

    response = await refused(database, put_grants(api, "model/m", body, account), 404)

    assert "ghost-user" in response.json()["detail"]


@pytest.mark.parametrize(
    ("principal_id", "permission", "status"),
    [
        pytest.param("*", "read", 200, id="star-read"),
        pytest.param("*", "write", 422, id="star-write"),
        pytest.param("someone", "read", 422, id="not-star"),
    ],
)
async def test_anyone_grant_must_be_star_read(
    api: Api, database: Database, principal_id: str, permission: str, status: int
) -> None:
    user = await api.user()
    body = {"grants": [grant("anyone", principal_id, permission)]}

    if status == 200:
        response = await put_grants(api, "note/n", body, user)
        assert response.status_code == 200, response.text
    else:
        await refused(database, put_grants(api, "note/n", body, user), status)


async def test_allow_groups_off_refuses_group_grants(api: Api, database: Database) -> None:
    group = await api.group("Open")
    user = await api.user()
    assert (await api.post(DEFAULTS, {"access_grants": {"allow_groups": False}})).status_code == 200

    await refused(
        database,
        put_grants(api, "model/m", {"grants": [grant("group", group["id"])]}, user),
        403,
    )
    ok = await put_grants(api, "model/m", {"grants": [grant("user", user.id, "write")]}, user)
    assert ok.status_code == 200, ok.text


async def test_allow_users_off_refuses_user_grants(api: Api, database: Database) -> None:
    user, other = await api.user(), await api.user()
    assert (await api.post(DEFAULTS, {"access_grants": {"allow_users": False}})).status_code == 200

    await refused(
        database,
        put_grants(api, "model/m", {"grants": [grant("user", other.id)]}, user),
        403,
    )


# --- who may change an existing resource's grants --------------------------------------------


async def test_non_admin_may_set_grants_on_a_new_resource(api: Api) -> None:
    user = await api.user()

    body = await set_grants(api, "model/new", grant("user", user.id, "write"), account=user)

    assert principals(body) == {("user", user.id, "write")}


async def test_non_admin_without_write_cannot_change_or_read_grants(
    api: Api, database: Database
) -> None:
    owner, reader = await api.user(), await api.user()
    await set_grants(api, "model/m", grant("user", owner.id, "write"), grant("user", reader.id))

    await refused(
        database,
        put_grants(api, "model/m", {"grants": [grant("user", reader.id, "write")]}, reader),
        403,
    )
    assert (await api.get(f"{GRANTS}/model/m", reader)).status_code == 403


async def test_non_admin_with_write_may_change_grants(api: Api) -> None:
    group = await api.group("Writers")
    writer, newcomer = await api.user(), await api.user()
    await api.add(group["id"], writer.id)
    await set_grants(api, "model/m", grant("group", group["id"], "write"))

    readable = await api.get(f"{GRANTS}/model/m", writer)
    assert readable.status_code == 200, readable.text
    body = await set_grants(
        api,
        "model/m",
        grant("group", group["id"], "write"),
        grant("user", newcomer.id),
        account=writer,
    )
    assert principals(body) == {("group", group["id"], "write"), ("user", newcomer.id, "read")}


async def test_share_rule_applies_to_writers_of_existing_resources(
    api: Api, database: Database
) -> None:
    closed = await api.group("Closed", **_shared(False))
    writer = await api.user()
    await set_grants(api, "model/m", grant("user", writer.id, "write"))

    await refused(
        database,
        put_grants(
            api,
            "model/m",
            {"grants": [grant("user", writer.id, "write"), grant("group", closed["id"])]},
            writer,
        ),
        403,
    )
