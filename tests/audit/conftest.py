from __future__ import annotations

from typing import Any

from tests.conftest import Api

EVENTS = "/api/v1/audit/events"
CHANGES = "/api/v1/changes"


async def events(api: Api, **filters: Any) -> list[dict[str, Any]]:
    """Audit events, newest first."""
    response = await api.get(EVENTS, limit=1000, **filters)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def last_event(api: Api, **filters: Any) -> dict[str, Any]:
    found = await events(api, **filters)
    assert found, f"no event for {filters}"
    return found[0]
