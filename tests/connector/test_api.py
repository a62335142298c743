"""The connector's API: targets registered, planned and applied by an admin over HTTP."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from opengroups.connector.schemas import BASE_URL_PATTERN, TargetForm
from tests.conftest import Api
from tests.connector.conftest import Target
from tests.servers import free_port

TARGETS = "/api/v1/owui/targets"


async def test_register_plan_apply_and_forget_a_target(api: Api, target: Target) -> None:
    person = await api.user()
    await target.user(person.email)
    team = await api.group("Team", description="the team")
    await api.add(team["id"], person.id)
    created = await api.post(
        TARGETS, {"name": "chat", "base_url": target.base_url, "api_key": target.api_key}
    )
    assert created.status_code == 200, created.text
    assert "api_key" not in created.json()
    planned = await api.post(f"{TARGETS}/chat/plan", {})
    assert planned.status_code == 200, planned.text
    kinds = {action["kind"] for action in planned.json()["actions"]}
    assert {"create", "add_members"} <= kinds
    applied = await api.post(f"{TARGETS}/chat/apply", {})
    assert applied.status_code == 200, applied.text
    assert applied.json()["ok"] is True
    groups = await target.groups()
    assert groups["Team"]["description"] == "the team"
    assert len(groups["Team"]["user_ids"]) == 1
    again = await api.post(f"{TARGETS}/chat/plan", {})
    assert again.json()["actions"] == []
    listed = (await api.get(TARGETS)).json()
    assert listed[0]["last_result"]["ok"] is True
    events = await api.get("/api/v1/audit/events", action="owui.apply")
    assert events.json()["items"][0]["actor_id"] == (await api.admin()).id
    assert (await api.delete(f"{TARGETS}/chat")).json() is True
    assert (await api.get(TARGETS)).json() == []


async def test_refusals(api: Api) -> None:
    user = await api.user()
    assert (await api.get(TARGETS, user)).status_code == 403
    assert (await api.post(f"{TARGETS}/nope/plan", {}, user)).status_code == 403
    assert (await api.post(f"{TARGETS}/nope/plan", {})).status_code == 404
    bad = await api.post(TARGETS, {"name": "x", "base_url": "ftp://nowhere", "api_key": "k"})
    assert bad.status_code == 422
    assert (await api.get(TARGETS)).json() == []


async def test_a_target_that_is_down_is_reported(api: Api) -> None:
    await api.group("Team")
    url = f"http://127.0.0.1:{free_port()}"
    created = await api.post(TARGETS, {"name": "gone", "base_url": url, "api_key": "sk-x"})
    assert created.status_code == 200, created.text
    planned = await api.post(f"{TARGETS}/gone/plan", {})
    assert planned.status_code == 502
    applied = await api.post(f"{TARGETS}/gone/apply", {})
    assert applied.status_code == 502
    assert applied.json()["ok"] is False
    assert applied.json()["error"]
    assert (await api.get(TARGETS)).json()[0]["last_result"]["ok"] is False


@settings(max_examples=300, deadline=None)
@given(st.from_regex(BASE_URL_PATTERN, fullmatch=True))
def test_every_address_the_document_allows_is_accepted(address: str) -> None:
    """The OpenAPI pattern of a target's address is the check itself (schemathesis found them
    apart once)."""
    assert TargetForm(name="t", base_url=address, api_key="k").base_url


@pytest.mark.parametrize(
    "address",
    ["ftp://chat", "http://", "http://:80", "http://chat?x=1", "http://u:p@chat", "http://[::1]"],
)
def test_addresses_the_document_refuses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        TargetForm(name="t", base_url=address, api_key="k")
