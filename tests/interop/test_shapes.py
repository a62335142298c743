"""The comparison the interoperability test rests on: if it saw no differences, every step
would pass. Opt-in with the rest of tests/interop, but needs no Open WebUI."""

from __future__ import annotations

import pytest

from tests.interop.shapes import ABSENT, Answer, Difference, differences, shape

pytestmark = pytest.mark.interop


def test_a_shape_keeps_keys_and_types_not_values() -> None:
    body = {"id": "a", "n": 1, "ok": True, "none": None, "items": [{"x": 1}, {"x": "s"}]}

    assert shape(body) == {
        "$": {"object"},
        "$.id": {"string"},
        "$.n": {"number"},
        "$.ok": {"boolean"},
        "$.none": {"null"},
        "$.items": {"array"},
        "$.items[]": {"object"},
        "$.items[].x": {"number", "string"},
    }


def test_answers_that_differ_only_in_values_do_not_differ() -> None:
    ours = Answer(200, {"id": "1", "users": [{"name": "Ada", "created_at": 1}]})
    theirs = Answer(200, {"id": "2", "users": [{"name": "Bob", "created_at": 9}, {"name": "C"}]})

    assert differences(theirs, ours) == set()


def test_a_missing_key_is_one_difference_however_deep_it_goes() -> None:
    theirs = Answer(200, {"meta": None, "permissions": {"chat": {"share": True}}})
    ours = Answer(200, {"meta": {"version": "1", "by": {"id": "x"}}, "permissions": None})

    assert differences(theirs, ours) == {
        Difference("$.meta", "null", "object"),
        Difference("$.permissions", "object", "null"),
    }


def test_keys_on_one_side_are_named() -> None:
    assert differences(Answer(200, {"a": 1, "b": 2}), Answer(200, {"a": 1, "c": [1]})) == {
        Difference("$.b", "number", ABSENT),
        Difference("$.c", ABSENT, "array"),
    }


def test_different_statuses_compare_the_bodies_by_outline() -> None:
    theirs = Answer(200, {"id": "g", "name": "Team"})
    ours = Answer(404, {"detail": "Group 'g' not found."})

    assert differences(theirs, ours) == {
        Difference("status", "200", "404"),
        Difference("body", "object{id,name}", "object{detail}"),
    }
    assert differences(Answer(401, {"detail": "a"}), Answer(403, {"detail": "b"})) == {
        Difference("status", "401", "403")
    }


def test_a_body_that_is_not_json_differs_from_one_that_is() -> None:
    assert differences(Answer(200, None, is_json=False), Answer(200, [])) == {
        Difference("$", "not JSON", "array")
    }
