"""SCIM users (RFC 7644 §3.3 to 3.6) and what identity providers really send."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.scim.conftest import (
    ENTERPRISE,
    SCIM_MEDIA_TYPE,
    USER_SCHEMA,
    Scim,
    ids,
    new_client,
    scim_error,
)


async def test_create_answers_201_with_location_etag_and_the_resource(scim: Scim) -> None:
    response = await scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "Bjensen@Example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
            "externalId": "entra-42",
            "title": "Tour guide",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith(SCIM_MEDIA_TYPE)
    body = response.json()
    location = f"http://testserver/scim/v2/Users/{body['id']}"
    assert response.headers["location"] == location
    assert body["meta"]["location"] == location
    assert response.headers["etag"] == body["meta"]["version"]
    assert body["userName"] == "Bjensen@Example.com"
    assert body["name"] == {"givenName": "Barbara", "familyName": "Jensen"}
    assert body["title"] == "Tour guide"
    assert body["externalId"] == "entra-42"
    assert "active" not in body  # never set: the account is active, and reads as sent
    assert "password" not in body
    again = await scim.get(f"/Users/{body['id']}")
    assert again.json() == body


async def test_a_provisioned_user_is_an_account_of_the_api(scim: Scim, api: Api) -> None:
    created = await scim.user(
        "bjensen",
        name={"givenName": "Barbara", "familyName": "Jensen"},
        emails=[{"value": "b.jensen@example.com", "primary": True}],
    )
    response = await api.get(f"/api/v1/users/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["email"] == "b.jensen@example.com"
    assert response.json()["name"] == "Barbara Jensen"
    assert response.json()["role"] == "user"


async def test_user_names_are_unique_case_insensitively(scim: Scim, api: Api) -> None:
    await scim.user("carol@example.com")
    duplicate = await scim.post(
        "/Users", {"schemas": [USER_SCHEMA], "userName": "CAROL@example.com"}
    )
    assert "already taken" in scim_error(duplicate, 409, "uniqueness")
    admin = await api.admin()
    # An account made another way has its e-mail as userName.
    taken = await scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": admin.email.upper()})
    scim_error(taken, 409, "uniqueness")
    other_email = await scim.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "dave", "emails": [{"value": admin.email}]},
    )
    scim_error(other_email, 409, "uniqueness")


async def test_refusals_are_scim_errors_and_write_nothing(scim: Scim) -> None:
    missing = await scim.post("/Users", {"schemas": [USER_SCHEMA]})
    scim_error(missing, 400, "invalidValue")
    bad_json = await scim.client.post("/scim/v2/Users", content=b"{not json", headers=scim.headers)
    scim_error(bad_json, 400, "invalidSyntax")
    bad_email = await scim.post(
        "/Users", {"schemas": [USER_SCHEMA], "userName": "x", "emails": [{"value": "nope"}]}
    )
    scim_error(bad_email, 400, "invalidValue")
    unknown = await scim.get("/Users/does-not-exist")
    scim_error(unknown, 404)
    listing = await scim.get("/Users")
    assert listing.json()["totalResults"] == 1  # the admin only


async def test_without_a_valid_token_nothing_is_answered(scim: Scim, api: Api) -> None:
    anonymous = await scim.client.get("/scim/v2/Users")
    scim_error(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    wrong = await scim.client.get("/scim/v2/Users", headers={"Authorization": "Bearer scim_x"})
    scim_error(wrong, 401)
    admin = await api.admin()
    user_token = await scim.client.get("/scim/v2/Users", headers=admin.headers)
    scim_error(user_token, 401)
    revoked = await api.delete(f"/api/v1/scim/clients/{scim.id}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    scim_error(await scim.get("/Users"), 401)


async def test_the_open_webui_path_serves_the_same(scim: Scim) -> None:
    created = await scim.user("erin")
    response = await scim.client.get(f"/api/v1/scim/v2/Users/{created['id']}", headers=scim.headers)
    assert response.status_code == 200
    assert response.json()["meta"]["location"].startswith("http://testserver/api/v1/scim/v2/")


async def test_okta_opening_requests_page(scim: Scim) -> None:
    for name in ("u1", "u2", "u3"):
        await scim.user(name)
    response = await scim.get("/Users", startIndex=1, count=2)
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 4  # and the admin
    assert body["itemsPerPage"] == 2
    assert body["startIndex"] == 1
    assert len(body["Resources"]) == 2
    rest = await scim.get("/Users", startIndex=3, count=2)
    assert len(rest.json()["Resources"]) == 2
    assert ids(rest).isdisjoint(ids(response))
    nothing = await scim.get("/Users", count=0)
    assert nothing.json()["totalResults"] == 4
    assert nothing.json()["Resources"] == []


async def test_filter_sort_and_attributes(scim: Scim) -> None:
    ann = await scim.user("ann", externalId="A-1", title="Boss")
    bob = await scim.user("bob", externalId="a-1")
    assert ids(await scim.get("/Users", filter='userName eq "ANN"')) == {ann["id"]}
    assert ids(await scim.get("/Users", filter='externalId eq "a-1"')) == {bob["id"]}
    sorted_names = await scim.get("/Users", sortBy="userName", sortOrder="descending")
    names = [r["userName"] for r in sorted_names.json()["Resources"]]
    assert names == sorted(names, reverse=True)
    cut = await scim.get(f"/Users/{ann['id']}", attributes="userName")
    assert set(cut.json()) == {"schemas", "id", "userName"}
    without = await scim.get(f"/Users/{ann['id']}", excludedAttributes="title,emails")
    assert "title" not in without.json()
    assert "userName" in without.json()
    searched = await scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "title pr",
            "attributes": ["userName"],
        },
    )
    assert ids(searched) == {ann["id"]}
    assert set(searched.json()["Resources"][0]) == {"schemas", "id", "userName"}
    refused = await scim.get("/Users", filter="userName eq")
    scim_error(refused, 400, "invalidFilter")


async def test_replace_and_etags(scim: Scim) -> None:
    created = await scim.user("fay", title="Old")
    path = f"/Users/{created['id']}"
    replaced = await scim.put(
        path,
        {"schemas": [USER_SCHEMA], "userName": "fay", "displayName": "Fay F."},
        **{"If-Match": created["meta"]["version"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert "title" not in replaced.json()
    assert replaced.json()["displayName"] == "Fay F."
    assert replaced.json()["meta"]["version"] != created["meta"]["version"]
    stale = await scim.put(
        path,
        {"schemas": [USER_SCHEMA], "userName": "fay"},
        **{"If-Match": created["meta"]["version"]},
    )
    scim_error(stale, 412)
    current = replaced.json()["meta"]["version"]
    unchanged = await scim.client.get(
        scim.root + path, headers=scim.headers | {"If-None-Match": current}
    )
    assert unchanged.status_code == 304


async def test_patch_dialects(scim: Scim) -> None:
    created = await scim.user("gus", emails=[{"value": "gus@example.com", "type": "work"}])
    path = f"/Users/{created['id']}"
    # PascalCase operations, a boolean as a string, a pathless replace of several attributes.
    response = await scim.patch(
        path,
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "replace", "value": {"displayName": "Gus G", "title": "Chef"}},
        {"op": "Add", "path": 'emails[type eq "home"].value', "value": "gus@home.example"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is False
    assert body["displayName"] == "Gus G"
    assert body["title"] == "Chef"
    assert {"value": "gus@home.example", "type": "home"} in body["emails"]
    # Entra sets the manager to an id alone.
    manager = await scim.user("manager")
    managed = await scim.patch(
        path, {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": manager["id"]}
    )
    assert managed.status_code == 200, managed.text
    assert managed.json()[ENTERPRISE]["manager"]["value"] == manager["id"]
    removed = await scim.patch(path, {"op": "remove", "path": "title"})
    assert "title" not in removed.json()
    bad = await scim.patch(path, {"op": "jump", "path": "title", "value": "x"})
    assert bad.status_code == 400


async def test_deactivation_signs_the_user_out_and_keeps_the_account(scim: Scim, api: Api) -> None:
    created = await scim.user(
        "hal@example.com", emails=[{"value": "hal@example.com"}], password="hal-password-1"
    )
    signin = await api.client.post(
        "/api/v1/auths/signin", json={"email": "hal@example.com", "password": "hal-password-1"}
    )
    assert signin.status_code == 200, signin.text
    token = signin.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.client.get("/api/v1/auths/", headers=headers)).status_code == 200
    # Okta deactivates with a pathless replace.
    off = await scim.patch(f"/Users/{created['id']}", {"op": "replace", "value": {"active": False}})
    assert off.json()["active"] is False
    assert (await api.client.get("/api/v1/auths/", headers=headers)).status_code == 401
    refused = await api.client.post(
        "/api/v1/auths/signin", json={"email": "hal@example.com", "password": "hal-password-1"}
    )
    assert refused.status_code == 403
    assert "deactivated" in refused.json()["detail"]
    assert (await api.get(f"/api/v1/users/{created['id']}")).status_code == 200
    on = await scim.patch(
        f"/Users/{created['id']}", {"op": "replace", "path": "active", "value": True}
    )
    assert on.json()["active"] is True
    again = await api.client.post(
        "/api/v1/auths/signin", json={"email": "hal@example.com", "password": "hal-password-1"}
    )
    assert again.status_code == 200


async def test_delete_follows_the_api_rules_and_is_audited(scim: Scim, api: Api) -> None:
    created = await scim.user("ivy")
    deleted = await scim.delete(f"/Users/{created['id']}")
    assert deleted.status_code == 204
    scim_error(await scim.get(f"/Users/{created['id']}"), 404)
    admin = await api.admin()
    primary = await scim.delete(f"/Users/{admin.id}")
    scim_error(primary, 403)
    events = await api.get("/api/v1/audit/events", action="user.delete")
    assert events.status_code == 200, events.text
    (event,) = events.json()["items"]
    assert event["actor_id"] == f"scim-client:{scim.id}"
    assert event["resource_id"] == created["id"]


@pytest.mark.parametrize("path", ["/Users", "/Groups"])
async def test_each_client_sees_every_resource(api: Api, path: str) -> None:
    first = await new_client(api, "first")
    second = await new_client(api, "second")
    if path == "/Users":
        made = await first.user("shared")
    else:
        made = await first.group("Shared")
    assert made["id"] in ids(await second.get(path))


async def test_entra_in_compliant_mode(scim: Scim) -> None:
    """What Entra ID sends with ``aadOptscim062020`` (the flag is in the tenant URL's query)."""
    lookup = await scim.client.get(
        "/scim/v2/Users",
        params={"aadOptscim062020": "", "filter": 'userName eq "jo@contoso.example"'},
        headers=scim.headers,
    )
    assert lookup.json()["totalResults"] == 0
    created = await scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7b2c3d4e5f60",
            "userName": "jo@contoso.example",
            "active": True,
            "displayName": "Jo Contoso",
            "emails": [{"primary": True, "type": "work", "value": "jo@contoso.example"}],
            "name": {"formatted": "Jo Contoso", "familyName": "Contoso", "givenName": "Jo"},
            ENTERPRISE: {"department": "Sales", "employeeNumber": "42"},
        },
    )
    assert created.status_code == 201, created.text
    path = f"/Users/{created.json()['id']}"
    updated = await scim.patch(
        path,
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Marketing"},
        {"op": "add", "path": 'emails[type eq "work"].value', "value": "jo.c@contoso.example"},
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["active"] is False
    assert body[ENTERPRISE]["department"] == "Marketing"
    assert body["emails"] == [{"primary": True, "type": "work", "value": "jo.c@contoso.example"}]
    found = await scim.get(
        "/Users", filter='emails[type eq "work" and value eq "jo.c@contoso.example"]'
    )
    assert ids(found) == {body["id"]}
