"""The members page over HTTP: through which group an inherited member is one, several users
added at once (ticked, or a pasted list of e-mail addresses with those not found reported),
removal after a confirmation, and the list's filter kept through all of it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.admin.markup import element, has_element, hidden_fields, text_of
from tests.admin.test_pages import signed_in
from tests.conftest import Api


async def direct_members(api: Api, group_id: str) -> set[str]:
    body = (
        await api.get(f"/api/v1/groups/id/{group_id}/members", membership="direct", limit=100)
    ).json()
    return {item["email"] for item in body["items"]}


def kept_query(location: str) -> dict[str, list[str]]:
    query = parse_qs(urlsplit(location).query)
    return {key: value for key, value in query.items() if key != "flash"}


async def test_inherited_members_name_the_group_below_they_come_through(api: Api) -> None:
    await signed_in(api)
    staff = await api.group("Staff")
    team = await api.group("Research team", parent_group_id=staff["id"])
    dora, eve = await api.user(name="Dora"), await api.user(name="Eve")
    await api.add(team["id"], dora.id)
    await api.add(staff["id"], eve.id)
    await api.add(team["id"], eve.id)

    page = (await api.client.get(f"/admin/groups/{staff['id']}/members")).text

    listing = element(page, "member-list")
    dora_row = element(listing.replace(f'data-email="{dora.email}"', 'id="dora"'), "dora")
    eve_row = element(listing.replace(f'data-email="{eve.email}"', 'id="eve"'), "eve")
    assert "via Research team" in text_of(dora_row)
    assert f'href="/admin/groups/{team["id"]}/members"' in dora_row
    assert "Remove" not in text_of(dora_row)  # not a direct member: nothing to remove here
    assert "direct (also via Research team)" in text_of(eve_row)


async def test_several_ticked_users_are_added_at_once(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")
    bea, cid, dan = [await api.user(name=name) for name in ("Bea", "Cid", "Dan")]
    await api.add(group["id"], dan.id)
    path = f"/admin/groups/{group['id']}/members"

    found = (await api.client.get(path, params={"find": "example.com", "query": "x"})).text

    picker = element(found, "found")
    assert "already a direct member" in text_of(picker)  # Dan, shown but not offered
    assert hidden_fields(picker) | {"csrf": csrf} == {
        "csrf": csrf,
        "query": "x",
        "find": "example.com",
    }
    response = await api.client.post(
        f"{path}/add",
        data={"csrf": csrf, "user_id": [bea.id, cid.id], "query": "x", "find": "example.com"},
    )

    assert response.status_code == 303
    assert kept_query(response.headers["location"]) == {"query": ["x"], "find": ["example.com"]}
    assert await direct_members(api, group["id"]) == {bea.email, cid.email, dan.email}
    shown = (await api.client.get(response.headers["location"])).text
    assert "2 members added." in shown


async def test_users_found_show_where_the_eye_is(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Team")
    for _ in range(60):
        await api.add(group["id"], (await api.user()).id)
    await api.user(name="Zed")

    page = await api.client.get(f"/admin/groups/{group['id']}/members", params={"find": "Zed"})
    text = page.text

    assert has_element(text, "found")
    assert text.index('id="found"') < text.index('id="member-list"')
    assert "Zed" in text_of(element(text, "found"))


async def test_a_pasted_list_adds_those_found_and_names_the_others(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")
    bea, cid = await api.user(name="Bea"), await api.user(name="Cid")
    await api.add(group["id"], cid.id)
    pasted = f"{bea.email.upper()}, Cid <{cid.email}>\nnobody@example.com; not an address\n"

    response = await api.client.post(
        f"/admin/groups/{group['id']}/members/add-emails",
        data={"csrf": csrf, "emails": pasted, "membership": "direct"},
    )

    assert response.status_code == 200
    assert await direct_members(api, group["id"]) == {bea.email, cid.email}
    report = text_of(element(response.text, "import-report"))
    assert "1 added, 1 already members, 1 not found, 1 invalid" in report
    assert text_of(element(response.text, "not-found")).endswith(": nobody@example.com")
    assert text_of(element(response.text, "invalid")) == "Not e-mail addresses: “not an address”"
    assert 'id="membership"' in response.text
    assert '<option value="direct" selected>' in response.text  # the list as it was shown


async def test_an_empty_paste_adds_no_one(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")

    response = await api.client.post(
        f"/admin/groups/{group['id']}/members/add-emails",
        data={"csrf": csrf, "emails": " ,\n ; "},
        follow_redirects=True,
    )

    assert "Paste at least one e-mail address." in response.text


async def test_remove_asks_first_and_keeps_the_filter(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")
    bea = await api.user(name="Bea")
    await api.add(group["id"], bea.id)
    path = f"/admin/groups/{group['id']}/members"
    listed = (await api.client.get(path, params={"membership": "direct", "query": "Bea"})).text
    link = element(listed, "member-list").split('href="')[-1].split('"')[0]

    asked = await api.client.get(link.replace("&amp;", "&"))

    assert await direct_members(api, group["id"]) == {bea.email}  # asking removed no one
    confirm = element(asked.text, "confirm-remove")
    assert text_of(confirm).startswith(f"Remove Bea ({bea.email}) from Team?")
    fields = hidden_fields(confirm)
    assert fields == {"csrf": csrf, "user_id": bea.id, "membership": "direct", "query": "Bea"}
    response = await api.client.post(f"{path}/remove", data=fields)
    assert response.status_code == 303
    assert kept_query(response.headers["location"]) == {"membership": ["direct"], "query": ["Bea"]}
    assert await direct_members(api, group["id"]) == set()
    shown = (await api.client.get(response.headers["location"])).text
    assert "Member removed." in shown
    assert not has_element(shown, "confirm-remove")


async def test_adding_nobody_says_so(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")

    response = await api.client.post(
        f"/admin/groups/{group['id']}/members/add", data={"csrf": csrf}, follow_redirects=True
    )

    assert "Tick the users to add first." in response.text


async def test_many_users_found_say_there_are_more(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Team")
    for _ in range(22):
        await api.user()
    path = f"/admin/groups/{group['id']}/members"

    many = (await api.client.get(path, params={"find": "example.com"})).text
    few = (await api.client.get(path, params={"find": "user1@"})).text

    assert "The first 20 of 23 users found" in text_of(element(many, "found"))
    assert "users found" not in text_of(element(few, "found"))
