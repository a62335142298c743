"""``GET /groups/``: search by name, paging, and ``X-Total-Count``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.groups.conftest import GROUPS

NAMES = ["Alpha Team", "alpha_ops", "alphaXops", "ALPHA%", "100% Beta", "Beta", r"back\slash"]


@pytest.fixture
async def named(api: Api) -> dict[str, str]:
    return {name: (await api.group(name))["id"] for name in NAMES}


async def _names(api: Api, **params: Any) -> tuple[list[str], int]:
    response = await api.get(f"{GROUPS}/", **params)
    assert response.status_code == 200, response.text
    return [group["name"] for group in response.json()], int(response.headers["X-Total-Count"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("alpha", {"Alpha Team", "alpha_ops", "alphaXops", "ALPHA%"}, id="ci"),
        pytest.param("ALPHA T", {"Alpha Team"}, id="upper"),
        pytest.param("_", {"alpha_ops"}, id="underscore-literal"),
        pytest.param("a_o", {"alpha_ops"}, id="underscore-not-wildcard"),
        pytest.param("%", {"ALPHA%", "100% Beta"}, id="percent-literal"),
        pytest.param("a%", {"ALPHA%"}, id="percent-not-wildcard"),
        pytest.param("\\", {r"back\slash"}, id="backslash-literal"),
        pytest.param("beta", {"100% Beta", "Beta"}, id="substring"),
        pytest.param("gamma", set(), id="no-match"),
        pytest.param("", set(NAMES), id="empty-query"),
    ],
)
async def test_query_matches_names_case_insensitively_and_literally(
    api: Api, named: dict[str, str], query: str, expected: set[str]
) -> None:
    names, total = await _names(api, query=query)

    assert set(names) == expected
    assert len(names) == len(expected)
    assert total == len(expected)


async def test_limit_and_offset_page_through_every_group(api: Api, named: dict[str, str]) -> None:
    everything, total = await _names(api)
    assert total == len(NAMES)
    assert sorted(everything) == sorted(NAMES)

    pages = []
    for offset in range(0, len(NAMES), 3):
        page, page_total = await _names(api, limit=3, offset=offset)
        assert page_total == len(NAMES)
        assert len(page) == min(3, len(NAMES) - offset)
        pages.extend(page)

    assert pages == everything


async def test_offset_past_the_end_is_empty_with_the_total(api: Api, named: dict[str, str]) -> None:
    names, total = await _names(api, offset=50)

    assert names == []
    assert total == len(NAMES)


async def test_total_counts_matches_not_the_page(api: Api, named: dict[str, str]) -> None:
    names, total = await _names(api, query="alpha", limit=2, offset=1)

    assert len(names) == 2
    assert total == 4


async def test_newest_change_comes_first(api: Api, named: dict[str, str]) -> None:
    everything = (await api.get(f"{GROUPS}/")).json()

    stamps = [group["updated_at"] for group in everything]
    assert stamps == sorted(stamps, reverse=True)


async def test_non_admin_total_counts_only_visible_groups(api: Api, named: dict[str, str]) -> None:
    viewer = await api.user()
    await api.add(named["Alpha Team"], viewer.id)
    await api.add(named["alpha_ops"], viewer.id)
    await api.add(named["Beta"], viewer.id)

    response = await api.get(f"{GROUPS}/", viewer, query="alpha", limit=1)

    assert response.status_code == 200
    assert len(response.json()) == 1
    assert response.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"offset": -1},
        {"query": "q" * 256},
        {"share": "sometimes"},
    ],
    ids=str,
)
async def test_bad_listing_parameters_are_422(api: Api, params: dict[str, Any]) -> None:
    response = await api.get(f"{GROUPS}/", **params)

    assert response.status_code == 422
