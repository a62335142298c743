"""``GET /users/{id}/info`` and ``POST /auths/update/password``, as Open WebUI clients call
them."""

from __future__ import annotations

import base64

import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, refused

# The smallest PNG: one transparent pixel.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5E"
    "rkJggg=="
)


async def test_info_shows_a_non_admin_only_the_groups_they_may_see(api: Api) -> None:
    viewer, subject = await api.user(), await api.user(name="Subject")
    shared = await api.group("Everyone's", data={"config": {"share": True}})
    hidden = await api.group("Hidden", data={"config": {"share": False}})
    together = await api.group("Ours", data={"config": {"share": "members"}})
    await api.add(shared["id"], subject.id)
    await api.add(hidden["id"], subject.id)
    await api.add(together["id"], subject.id, viewer.id)

    as_viewer = await api.get(f"/api/v1/users/{subject.id}/info", viewer)
    as_admin = await api.get(f"/api/v1/users/{subject.id}/info")

    assert as_viewer.status_code == 200, as_viewer.text
    assert as_viewer.json()["name"] == "Subject"
    assert {g["name"] for g in as_viewer.json()["groups"]} == {"Everyone's", "Ours"}
    assert {g["name"] for g in as_admin.json()["groups"]} == {"Everyone's", "Hidden", "Ours"}
    missing = await api.get("/api/v1/users/no-such-user/info", viewer)
    assert missing.status_code == 404


async def test_users_who_share_no_visible_group_cannot_look_each_other_up(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    for user in (alice, bob):
        group = await api.group(f"Private {user.id}", data={"config": {"share": False}})
        await api.add(group["id"], user.id)

    for path in ("info", "active", "profile/image"):
        other = await api.get(f"/api/v1/users/{alice.id}/{path}", bob)
        own = await api.get(f"/api/v1/users/{alice.id}/{path}", alice)
        by_admin = await api.get(f"/api/v1/users/{alice.id}/{path}")
        assert (other.status_code, own.status_code, by_admin.status_code) == (404, 200, 200), path


async def test_a_new_password_needs_the_current_one_and_ends_the_sessions(
    api: Api, database: Database
) -> None:
    user = await api.user()
    path = "/api/v1/auths/update/password"

    await refused(
        database, api.post(path, {"password": "wrong", "new_password": "n-pw"}, user), 400
    )
    changed = await api.post(path, {"password": "user-pw", "new_password": "brand-new-pw"}, user)

    assert changed.status_code == 200, changed.text
    assert changed.json() is True
    assert (await api.get("/api/v1/auths/", user)).status_code == 401  # the old token ended
    old = await api.client.post(
        "/api/v1/auths/signin", json={"email": user.email, "password": "user-pw"}
    )
    new = await api.client.post(
        "/api/v1/auths/signin", json={"email": user.email, "password": "brand-new-pw"}
    )
    assert (old.status_code, new.status_code) == (400, 200)


async def test_all_users_and_search(api: Api) -> None:
    searcher = await api.user(name="Searcher")
    await api.user(name="Ada Lovelace")
    await api.user(name="Alan Turing")

    everyone = await api.get("/api/v1/users/all")
    found = await api.get("/api/v1/users/search", searcher, query="ada")
    as_plain_user = await api.get("/api/v1/users/all", searcher)

    assert everyone.json()["total"] == 4
    assert {u["name"] for u in everyone.json()["users"]} >= {"Ada Lovelace", "Alan Turing"}
    assert found.json() == {
        "users": [{"id": found.json()["users"][0]["id"], "name": "Ada Lovelace"}],
        "total": 1,
    }
    assert as_plain_user.status_code == 403


async def test_a_user_who_just_signed_up_is_active(api: Api) -> None:
    user = await api.user()

    response = await api.get(f"/api/v1/users/{user.id}/active", user)

    assert response.json() == {"active": True}
    assert (await api.get("/api/v1/users/nobody/active", user)).status_code == 404


@pytest.mark.parametrize(
    ("stored", "status", "media_type"),
    [
        pytest.param("/user.png", 200, "image/svg+xml", id="default"),
        pytest.param(f"data:image/png;base64,{PNG}", 200, "image/png", id="data-png"),
        pytest.param("data:image/svg+xml;base64,PHN2Zy8+", 200, "image/svg+xml", id="no-svg"),
        pytest.param("https://pictures.example/ada.png", 302, None, id="web"),
    ],
)
async def test_the_profile_image_route(
    api: Api, stored: str, status: int, media_type: str | None
) -> None:
    user = await api.user()
    await api.post(f"/api/v1/users/{user.id}/update", {"profile_image_url": stored})

    response = await api.client.get(
        f"/api/v1/users/{user.id}/profile/image", headers=user.headers, follow_redirects=False
    )

    assert response.status_code == status
    if media_type is not None:
        assert response.headers["content-type"].startswith(media_type)
    if stored.startswith("data:image/png"):
        assert response.content == base64.b64decode(PNG)
    if stored.startswith("data:image/svg"):
        assert b"<svg/>" not in response.content  # the default picture, not the stored SVG
    if status == 302:
        assert response.headers["location"] == stored


async def test_the_user_preview_lists_groups_and_readable_resources(api: Api) -> None:
    user = await api.user(name="Previewed")
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    await api.add(child["id"], user.id)
    admin = await api.admin()
    grant = {"principal_type": "group", "principal_id": parent["id"], "permission": "read"}
    for path in ("model/m1", "knowledge/k1", "tool/t1", "note/n1"):
        response = await api.client.put(
            f"/api/v1/grants/{path}", json={"grants": [grant]}, headers=admin.headers
        )
        assert response.status_code == 200, response.text

    preview = await api.get(f"/api/v1/users/{user.id}/preview")
    as_user = await api.get(f"/api/v1/users/{user.id}/preview", user)

    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["user"]["name"] == "Previewed"
    assert {g["name"] for g in body["groups"]} == {"Parent", "Child"}
    assert [item["id"] for item in body["models"]["items"]] == ["m1"]
    assert body["knowledge"]["total"] == body["tools"]["total"] == 1
    assert as_user.status_code == 403
    assert (await api.get("/api/v1/users/nobody/preview")).status_code == 404
