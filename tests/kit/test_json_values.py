"""JSON values compare by value, as PostgreSQL's JSONB gives them back."""

from __future__ import annotations

from opengroups.kit.json_values import same_json


def test_numbers_compare_by_their_decimal_value() -> None:
    assert same_json({"n": 1.5e300}, {"n": 15 * 10**299})  # JSONB writes the digits out
    assert same_json([-0.0], [0])
    assert same_json({"a": 1, "b": [2.0]}, {"b": [2], "a": 1.0})
    assert not same_json({"n": 0.1}, {"n": 0.10000000000000002})
    assert not same_json([2**63], [2**63 + 1])


def test_other_values_are_not_numbers() -> None:
    assert not same_json([True], [1])
    assert not same_json({"a": None}, {"a": 0})
    assert not same_json("1", 1)
    assert not same_json({"a": [1]}, {"a": [1, 1]})
