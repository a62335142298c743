"""The share setting: what a write may say, and how a stored value reads."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.permissions.share import parse_share, read_share


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (" TRUE ", True),
        ("False", False),
        ("members", "members"),
        ("MEMBERS", "members"),
    ],
)
def test_accepted_writes(written: object, stored: object) -> None:
    assert parse_share(written) == stored


@pytest.mark.parametrize("written", ["1", "0", "yes", "no", "", 1, 0, None, [], "sometimes"])
def test_refused_writes(written: object) -> None:
    with pytest.raises(ValueError, match="share must be"):
        parse_share(written)


@pytest.mark.parametrize(
    ("data", "default", "mode"),
    [
        (None, True, "true"),
        ({}, "members", "members"),
        ({"config": {"share": None}}, False, "false"),
        ({"config": {"share": False}}, True, "false"),
        ({"config": {"share": "1"}}, False, "true"),
        ({"config": {"share": 0.0}}, True, "false"),
        ({"config": {"share": "maybe"}}, True, "false"),  # unknown: the least visible
    ],
)
def test_stored_values_read(data: Any, default: Any, mode: str) -> None:
    assert read_share(data, default) == mode
