"""OpenID Connect sign-in against a real provider, and the sync of its groups claim: only the
provider's own memberships (``oauth:<provider>``) ever change."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Api
from tests.identity.oidc.conftest import Browser

ME = "/api/v1/auths/"


async def groups_of(api: Api, user_id: str) -> dict[str, list[str]]:
    """The user's direct groups, by name, with the sources that hold each membership."""
    found: dict[str, list[str]] = {}
    for group in (await api.get("/api/v1/groups/")).json():
        members = await api.get(f"/api/v1/groups/id/{group['id']}/members")
        for item in members.json()["items"]:
            if item["id"] == user_id:
                found[group["name"]] = sorted(item["sources"])
    return found


async def test_first_sign_in_creates_the_account_and_its_memberships(browser: Browser) -> None:
    api = browser.api
    await api.group("Engineering")
    await api.group("Sales")
    response = await browser.sign_in(
        "alice-sub",
        email="alice@example.com",
        email_verified=True,
        name="Alice",
        groups=["Engineering", "sales", "Not here"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["name"] == "Alice"
    assert body["role"] == "pending"  # OPENGROUPS_DEFAULT_USER_ROLE
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert (await api.client.get(ME, headers=headers)).status_code == 200
    assert await groups_of(api, body["id"]) == {
        "Engineering": ["oauth:mock"],
        "Sales": ["oauth:mock"],
    }
    events = await api.get("/api/v1/audit/events", action="identity.sync")
    (event,) = events.json()["items"]
    assert event["resource_id"] == "oauth:mock"
    assert event["after"]["unknown"] == ["Not here"]
    again = await browser.sign_in("alice-sub", email="alice@example.com", groups=["Sales"])
    assert again.json()["id"] == body["id"]  # found by the provider's subject
    links = await api.get(f"/api/v1/users/{body['id']}/oauth/sessions")
    assert [(link["provider"], link["subject"]) for link in links.json()] == [
        ("oauth:mock", "alice-sub")
    ]
    assert (await api.get("/api/v1/users/nobody/oauth/sessions")).status_code == 404


async def test_a_changed_claim_changes_only_the_providers_memberships(browser: Browser) -> None:
    api = browser.api
    engineering = await api.group("Engineering")
    sales = await api.group("Sales")
    await api.group("Ops")
    first = await browser.sign_in(
        "bob-sub", email="bob@example.com", groups=["Engineering", "Sales"]
    )
    user_id = first.json()["id"]
    await api.add(engineering["id"], user_id)  # an admin adds Bob by hand as well
    second = await browser.sign_in("bob-sub", email="bob@example.com", groups=["Ops"])
    assert second.status_code == 200, second.text
    assert await groups_of(api, user_id) == {
        "Engineering": ["manual"],  # the manual membership survives
        "Ops": ["oauth:mock"],
    }
    del sales


async def test_an_empty_claim_removes_nothing_unless_the_provider_is_authoritative(
    browser: Browser,
) -> None:
    api = browser.api
    await api.group("Engineering")
    lenient = await browser.sign_in("carol-sub", email="carol@example.com", groups=["Engineering"])
    user_id = lenient.json()["id"]
    empty = await browser.sign_in("carol-sub", email="carol@example.com", groups=[])
    assert empty.status_code == 200, empty.text
    assert await groups_of(api, user_id) == {"Engineering": ["oauth:mock"]}
    missing = await browser.sign_in("carol-sub", email="carol@example.com")
    assert missing.status_code == 200
    assert await groups_of(api, user_id) == {"Engineering": ["oauth:mock"]}

    strict = await browser.sign_in(
        "dave-sub", provider="strict", email="dave@example.com", groups=["Engineering"]
    )
    dave = strict.json()["id"]
    assert await groups_of(api, dave) == {"Engineering": ["oauth:strict"]}
    emptied = await browser.sign_in(
        "dave-sub", provider="strict", email="dave@example.com", groups=[]
    )
    assert emptied.status_code == 200
    assert await groups_of(api, dave) == {}


async def test_a_blocked_group_is_never_joined(browser: Browser) -> None:
    api = browser.api
    await api.group("blocked-admins")
    await api.group("Readers")
    response = await browser.sign_in(
        "erin-sub", email="erin@example.com", groups=["Blocked-Admins", "Readers"]
    )
    assert await groups_of(api, response.json()["id"]) == {"Readers": ["oauth:mock"]}
    events = await api.get("/api/v1/audit/events", action="identity.sync")
    assert events.json()["items"][0]["after"]["blocked"] == ["Blocked-Admins"]


async def test_an_existing_account_is_matched_by_e_mail_only_when_allowed(
    browser: Browser,
) -> None:
    api = browser.api
    existing = await api.user()
    refused = await browser.sign_in("frank-sub", email=existing.email, email_verified=True)
    assert refused.status_code == 409
    assert "match_verified_email" in refused.json()["detail"]


async def test_a_callback_that_was_not_started_here_is_refused(browser: Browser) -> None:
    api = browser.api
    forged = await api.client.get(
        "/api/v1/auths/oidc/mock/callback", params={"code": "x", "state": "y"}
    )
    assert forged.status_code == 400
    denied = await api.client.get(
        "/api/v1/auths/oidc/mock/callback", params={"error": "access_denied"}
    )
    assert denied.status_code == 400
    assert "access_denied" in denied.json()["detail"]
    unknown = await api.client.get("/api/v1/auths/oidc/nope/login")
    assert unknown.status_code == 404
    listed = await api.client.get("/api/v1/auths/oidc/providers")
    assert [p["name"] for p in listed.json()] == ["mock", "strict"]


async def test_a_state_from_another_sign_in_is_refused(browser: Browser) -> None:
    api = browser.api
    browser.claims("gina-sub", email="gina@example.com")
    started = await api.client.get("/api/v1/auths/oidc/mock/login")
    async with httpx.AsyncClient() as provider_side:
        authorized = await provider_side.post(started.headers["location"], data={"sub": "gina-sub"})
    back = authorized.headers["location"]
    tampered = back.replace("state=", "state=x")
    assert (await api.client.get(tampered)).status_code == 400


async def test_deactivated_accounts_cannot_sign_in(browser: Browser) -> None:
    api = browser.api
    first = await browser.sign_in("hank-sub", email="hank@example.com")
    user_id = first.json()["id"]
    body: dict[str, Any] = {"name": "scim"}
    client = (await api.post("/api/v1/scim/clients", body)).json()
    deactivated = await api.client.patch(
        f"/scim/v2/Users/{user_id}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers={"Authorization": f"Bearer {client['token']}"},
    )
    assert deactivated.status_code == 200, deactivated.text
    again = await browser.sign_in("hank-sub", email="hank@example.com")
    assert again.status_code == 403


async def test_the_admin_page_signs_an_admin_in_through_the_provider(
    start_api: Any, issuer: str, write_providers: Any
) -> None:
    from tests.identity.oidc.conftest import provider_config

    path = write_providers(provider_config(issuer, match_verified_email=True))
    api = (await start_api(identity_providers=path)).api
    admin = await api.admin()
    login = await api.client.get("/admin/login")
    assert "/api/v1/auths/oidc/mock/login?next=/admin/groups" in login.text
    browser = Browser(api, issuer)
    response = await browser.sign_in(
        "admin-sub", next_path="/admin/groups", email=admin.email, email_verified=True
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/groups"
    page = await api.client.get("/admin/groups")
    assert page.status_code == 200
    identity = await api.client.get("/admin/identity")
    assert "oauth:mock" in identity.text
    user = await browser.sign_in(
        "user-sub", next_path="/admin/groups", email="plain@example.com", email_verified=True
    )
    assert user.status_code == 403


async def test_groups_from_userinfo_by_mapping_and_created_on_demand(
    start_api: Any, issuer: str, write_providers: Any
) -> None:
    from tests.identity.oidc.conftest import provider_config

    path = write_providers(
        provider_config(
            issuer,
            name="entra",
            groups_from="userinfo",
            groups={
                "match": "both",
                "mapping": {"6f1c7a2e-0001": "Engineering"},
                "create_groups": True,
            },
        )
    )
    api = (await start_api(identity_providers=path)).api
    await api.admin()
    engineering = await api.group("Engineering")
    browser = Browser(api, issuer)
    response = await browser.sign_in(
        "jo-sub",
        provider="entra",
        email="jo@example.com",
        groups=["6f1c7a2e-0001", "Brand new"],
    )
    assert response.status_code == 200, response.text
    user_id = response.json()["id"]
    assert await groups_of(api, user_id) == {
        "Engineering": ["oauth:entra"],  # mapped from the group's object id
        "Brand new": ["oauth:entra"],  # created: the provider may create groups
    }
    names = {g["name"]: g["id"] for g in (await api.get("/api/v1/groups/")).json()}
    assert names["Engineering"] == engineering["id"]
    events = await api.get("/api/v1/audit/events", action="identity.sync")
    assert events.json()["items"][0]["after"]["created"] == [names["Brand new"]]
