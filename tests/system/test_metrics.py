"""``/metrics``: who may read it (``OPENGROUPS_METRICS``), and what it counts."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from opengroups import __version__
from opengroups.config import Settings
from tests.conftest import StartApi

TOKEN = "a-scraper-token-long-enough"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_are_not_served_by_default(start_api: StartApi) -> None:
    started = await start_api()
    response = await started.api.client.get("/metrics")
    assert response.status_code == 404


async def test_the_token_mode_answers_only_the_token(start_api: StartApi) -> None:
    client = (await start_api(metrics="token", metrics_token=TOKEN)).api.client
    missing = await client.get("/metrics")
    wrong = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    other_scheme = await client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert missing.status_code == wrong.status_code == other_scheme.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert right.headers["content-type"].startswith("text/plain")
    assert "opengroups_http_requests_total" in right.text


async def test_an_admin_token_is_not_the_metrics_token(start_api: StartApi) -> None:
    started = await start_api(metrics="token", metrics_token=TOKEN)
    admin = await started.api.admin()
    response = await started.api.client.get("/metrics", headers=admin.headers)
    assert response.status_code == 401


def test_the_token_mode_needs_a_long_enough_token() -> None:
    with pytest.raises(ValidationError, match="OPENGROUPS_METRICS_TOKEN"):
        Settings(_env_file=None, metrics="token")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(_env_file=None, metrics="token", metrics_token="short")


async def test_requests_are_counted_by_route_template_and_status_class(
    start_api: StartApi,
) -> None:
    started = await start_api(metrics="public")
    api, client = started.api, started.api.client
    group = await api.group("Research")
    other = await api.group("Lab")
    for group_id in (group["id"], other["id"], "no-such-group"):
        await api.get(f"/api/v1/groups/id/{group_id}")
    await client.request("BREW", "/health")
    await client.get("/no/such/path")

    text = (await client.get("/metrics")).text
    samples = _samples(text)
    route = "/api/v1/groups/id/{group_id}"
    requests = "opengroups_http_requests_total"
    assert _value(samples, requests, method="GET", route=route, status="2xx") == 2
    assert _value(samples, requests, method="GET", route=route, status="4xx") == 1
    assert _value(samples, requests, method="POST", route="/api/v1/groups/create", status="2xx")
    assert _value(samples, requests, method="other", route="/health", status="4xx") == 1
    assert _value(samples, requests, method="GET", route="unmatched", status="4xx") == 1
    duration = "opengroups_http_request_duration_seconds_count"
    assert _value(samples, duration, method="GET", route=route, status="2xx") == 2
    # No id, no raw path in any label.
    for value in (group["id"], other["id"], "no-such-group", "/no/such/path", "BREW"):
        assert value not in text


async def test_mounted_apps_and_static_files_are_counted_by_template(
    start_api: StartApi,
) -> None:
    client = (await start_api(metrics="public")).api.client
    await client.get("/admin/groups/some-group-id")
    await client.get("/scim/v2/Users/some-user-id")
    await client.get("/docs/assets/swagger-ui.css")
    samples = _samples((await client.get("/metrics")).text)
    requests = "opengroups_http_requests_total"
    routes = {dict(labels)["route"] for name, labels in samples if name == requests}
    assert {"/admin/groups/{group_id}", "/scim/v2/Users/{resource_id}"} <= routes
    assert "/docs/assets/{path}" in routes
    assert not [route for route in routes if "some-" in route]


async def test_a_middleware_refusal_is_counted(start_api: StartApi) -> None:
    client = (await start_api(metrics="public")).api.client
    refused = await client.get("/api/v1/groups/%00")
    assert refused.status_code == 422
    samples = _samples((await client.get("/metrics")).text)
    requests = "opengroups_http_requests_total"
    assert _value(samples, requests, method="GET", route="unmatched", status="4xx") == 1


async def test_cache_lookups_and_the_pool_are_shown(start_api: StartApi) -> None:
    started = await start_api(metrics="public")
    admin = await started.api.admin()
    for _ in range(3):
        assert (await started.api.get("/api/v1/auths/", admin)).status_code == 200
    samples = _samples((await started.api.client.get("/metrics")).text)
    lookups = "opengroups_cache_lookups_total"
    assert _value(samples, lookups, cache="users", result="hit") >= 2
    assert _value(samples, lookups, cache="tokens", result="hit") >= 2
    assert _value(samples, "opengroups_cache_entries", cache="users") == 1
    assert ("opengroups_db_pool_connections_checked_out", frozenset()) in samples
    assert _value(samples, "opengroups_db_pool_size") >= 1
    assert _value(samples, "opengroups_build_info", version=__version__) == 1
