"""The default group: new accounts join it with the source ``default``."""

from __future__ import annotations

from opengroups.kit.db import Database
from tests.auths.conftest import AUTHS, members_of, signup
from tests.conftest import Api, StartApi, refused

CONFIG = f"{AUTHS}/admin/config"


async def test_admin_config_starts_without_a_default_group(api: Api) -> None:
    response = await api.get(CONFIG)

    assert response.status_code == 200, response.text
    config = response.json()
    assert {
        key: config[key] for key in ("ENABLE_SIGNUP", "DEFAULT_USER_ROLE", "DEFAULT_GROUP_ID")
    } == {
        "ENABLE_SIGNUP": True,
        "DEFAULT_USER_ROLE": "pending",
        "DEFAULT_GROUP_ID": "",
    }
    # Keys strict Open WebUI clients require, saying what this service does.
    assert config["ENABLE_API_KEYS"] is True
    assert config["ENABLE_CHANNELS"] is False
    assert config["JWT_EXPIRES_IN"] == "2419200s"


async def test_admin_config_is_for_admins(api: Api, database: Database) -> None:
    user = await api.user("user")

    assert (await api.get(CONFIG, account=user)).status_code == 403
    await refused(database, api.post(CONFIG, {"ENABLE_SIGNUP": False}, account=user), 403)


async def test_setting_the_default_group(api: Api) -> None:
    group = await api.group("Everyone")

    response = await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})

    assert response.status_code == 200, response.text
    assert response.json()["DEFAULT_GROUP_ID"] == group["id"]
    assert (await api.get(CONFIG)).json()["DEFAULT_GROUP_ID"] == group["id"]


async def test_an_unknown_default_group_is_404(api: Api, database: Database) -> None:
    await api.admin()

    await refused(database, api.post(CONFIG, {"DEFAULT_GROUP_ID": "no-such-group"}), 404)
    assert (await api.get(CONFIG)).json()["DEFAULT_GROUP_ID"] == ""


async def test_signup_joins_the_default_group(api: Api) -> None:
    group = await api.group("Everyone")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"], "DEFAULT_USER_ROLE": "user"})

    response = await signup(api.client, "newcomer@example.com")

    assert response.status_code == 200, response.text
    assert await members_of(api, group["id"]) == {response.json()["id"]: ["default"]}
    detail = await api.get(f"/api/v1/groups/id/{group['id']}")
    assert detail.json()["member_count"] == 1


async def test_added_user_joins_the_default_group(api: Api) -> None:
    group = await api.group("Everyone")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})

    user = await api.user("user")

    assert await members_of(api, group["id"]) == {user.id: ["default"]}


async def test_a_manual_add_keeps_the_default_source(api: Api) -> None:
    group = await api.group("Everyone")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})
    user = await api.user("user")

    await api.add(group["id"], user.id)

    assert sorted((await members_of(api, group["id"]))[user.id]) == ["default", "manual"]


async def test_no_default_group_means_no_membership(api: Api) -> None:
    group = await api.group("Elsewhere")

    await api.user("user")

    assert await members_of(api, group["id"]) == {}


async def test_default_group_from_settings(start_api: StartApi) -> None:
    setup = await start_api()
    group = await setup.api.group("Everyone")
    started = await start_api(default_group_id=group["id"], default_user_role="user")

    response = await signup(started.api.client, "newcomer@example.com")

    assert response.status_code == 200, response.text
    assert (await started.api.get(CONFIG, account=await setup.api.admin())).json()[
        "DEFAULT_GROUP_ID"
    ] == group["id"]
    assert await members_of(setup.api, group["id"]) == {response.json()["id"]: ["default"]}


async def test_deleting_the_default_group_clears_the_setting(api: Api) -> None:
    group = await api.group("Everyone")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})

    deleted = await api.delete(f"/api/v1/groups/id/{group['id']}/delete")

    assert deleted.status_code == 200, deleted.text
    assert (await api.get(CONFIG)).json()["DEFAULT_GROUP_ID"] == ""
    assert (await api.user("user")).id


async def test_deleting_the_default_group_from_settings_clears_it(start_api: StartApi) -> None:
    setup = await start_api()
    group = await setup.api.group("Everyone")
    admin = await setup.api.admin()
    started = await start_api(default_group_id=group["id"], default_user_role="user")

    deleted = await started.api.client.delete(
        f"/api/v1/groups/id/{group['id']}/delete", headers=admin.headers
    )
    assert deleted.status_code == 200, deleted.text

    config = await started.api.client.get(CONFIG, headers=admin.headers)
    assert config.json()["DEFAULT_GROUP_ID"] == ""
    response = await signup(started.api.client, "newcomer@example.com")
    assert response.status_code == 200, response.text
    detail = await started.api.client.get(
        f"/api/v1/users/{response.json()['id']}", headers=admin.headers
    )
    assert detail.json()["groups"] == []


async def test_deleting_another_group_keeps_the_default(api: Api) -> None:
    group = await api.group("Everyone")
    other = await api.group("Other")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})

    await api.delete(f"/api/v1/groups/id/{other['id']}/delete")

    assert (await api.get(CONFIG)).json()["DEFAULT_GROUP_ID"] == group["id"]


async def test_clearing_the_default_group(api: Api) -> None:
    group = await api.group("Everyone")
    await api.post(CONFIG, {"DEFAULT_GROUP_ID": group["id"]})

    response = await api.post(CONFIG, {"DEFAULT_GROUP_ID": ""})

    assert response.json()["DEFAULT_GROUP_ID"] == ""
    await api.user("user")
    assert await members_of(api, group["id"]) == {}
