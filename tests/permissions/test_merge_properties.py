"""Property tests of the merge: over random catalogs and random sparse group trees,
``effective_keys`` is defaults OR every group (a brute-force reference agrees), only ever grows
as groups are added, ignores order and duplicates, and ``explain`` tells the same story."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from opengroups.permissions import (
    DEFAULT_SOURCE,
    Catalog,
    GroupPermissions,
    effective_keys,
    explain,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)

# Short names without dots; "z" is left out so that STALE_KEY can never be a catalog key.
NAMES = st.text(alphabet="abcdefgh_", min_size=1, max_size=5)
LEAVES = st.dictionaries(NAMES, st.booleans(), min_size=1, max_size=4)
SECTIONS = st.dictionaries(NAMES, st.one_of(st.booleans(), LEAVES), min_size=1, max_size=5)
CATALOG_TREES = st.dictionaries(NAMES, SECTIONS, min_size=1, max_size=4)
STALE_KEY = "zz.removed_from_catalog"


def nest(flat: dict[str, bool]) -> dict[str, Any]:
    """A sparse tree from dotted keys, written independently of the catalog's own code."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *sections, leaf = path.split(".")
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value
    return tree


@dataclass(frozen=True)
class Scenario:
    catalog: Catalog
    defaults: dict[str, bool]
    flat_groups: list[dict[str, bool]]  # what each group sets, as dotted keys
    groups: list[GroupPermissions]


@st.composite
def group_trees(draw: st.DrawFn, keys: list[str]) -> dict[str, bool]:
    """A random subset of the catalog's keys with random values, sometimes a stale key too."""
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    flat = {key: draw(st.booleans()) for key in chosen}
    if draw(st.booleans()):
        flat[STALE_KEY] = True
    return flat


@st.composite
def scenarios(draw: st.DrawFn, max_groups: int = 6) -> Scenario:
    catalog = Catalog.from_tree(draw(CATALOG_TREES))
    keys = list(catalog.defaults)
    defaults = {key: draw(st.booleans()) for key in keys}
    flat_groups = draw(st.lists(group_trees(keys), max_size=max_groups))
    groups = [
        GroupPermissions(f"group-{index:02d}", nest(flat) if flat or index % 2 else None)
        for index, flat in enumerate(flat_groups)
    ]
    return Scenario(catalog, defaults, flat_groups, groups)


def brute_force(scenario: Scenario) -> frozenset[str]:
    """For each key: the default, OR any group that sets it to true."""
    return frozenset(
        key
        for key in scenario.catalog.defaults
        if scenario.defaults[key] or any(flat.get(key) is True for flat in scenario.flat_groups)
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_result_equals_the_brute_force_reference(scenario: Scenario) -> None:
    result = effective_keys(scenario.catalog, scenario.defaults, scenario.groups)

    assert result == brute_force(scenario)
    assert result <= set(scenario.catalog.defaults)
    assert STALE_KEY not in result


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_adding_a_group_never_removes_a_right(scenario: Scenario, data: st.DataObject) -> None:
    extra = data.draw(group_trees(list(scenario.catalog.defaults)), label="extra group")
    before = effective_keys(scenario.catalog, scenario.defaults, scenario.groups)

    after = effective_keys(
        scenario.catalog,
        scenario.defaults,
        [*scenario.groups, GroupPermissions("group-extra", nest(extra))],
    )

    assert before <= after
    assert after - before == {key for key, value in extra.items() if value} - before - {STALE_KEY}


@PROPERTY_SETTINGS
@given(scenarios())
def test_no_group_turns_off_a_default(scenario: Scenario) -> None:
    result = effective_keys(scenario.catalog, scenario.defaults, scenario.groups)

    assert {key for key, value in scenario.defaults.items() if value} <= result


@PROPERTY_SETTINGS
@given(scenarios(), st.randoms(use_true_random=False), st.data())
def test_order_and_duplicates_do_not_matter(
    scenario: Scenario, rng: random.Random, data: st.DataObject
) -> None:
    repeated = (
        data.draw(st.lists(st.sampled_from(scenario.groups), max_size=4), label="duplicates")
        if scenario.groups
        else []
    )
    shuffled = [*scenario.groups, *repeated]
    rng.shuffle(shuffled)

    original = effective_keys(scenario.catalog, scenario.defaults, scenario.groups)

    assert effective_keys(scenario.catalog, scenario.defaults, shuffled) == original
    assert explain(scenario.catalog, scenario.defaults, shuffled) == explain(
        scenario.catalog, scenario.defaults, scenario.groups
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_explain_agrees_with_the_merge_and_names_every_source(scenario: Scenario) -> None:
    granted = effective_keys(scenario.catalog, scenario.defaults, scenario.groups)

    explanation = explain(scenario.catalog, scenario.defaults, scenario.groups)

    assert list(explanation) == list(scenario.catalog.defaults)
    for key, item in explanation.items():
        assert item.value is (key in granted), key
        granting = sorted(
            group.group_id
            for group, flat in zip(scenario.groups, scenario.flat_groups, strict=True)
            if flat.get(key) is True
        )
        expected = ([DEFAULT_SOURCE] if scenario.defaults[key] else []) + granting
        assert item.sources == tuple(expected), key
        assert item.value is bool(item.sources), key


@PROPERTY_SETTINGS
@given(scenarios(max_groups=0))
def test_without_groups_the_result_is_the_defaults(scenario: Scenario) -> None:
    result = effective_keys(scenario.catalog, scenario.defaults, [])

    assert result == {key for key, value in scenario.defaults.items() if value}
    for key, item in explain(scenario.catalog, scenario.defaults, []).items():
        assert item.sources == ((DEFAULT_SOURCE,) if scenario.defaults[key] else ())
