"""Who passes a check before any tree is looked at: the one standing rule."""

from __future__ import annotations

import pytest

from opengroups.errors import InvalidInput
from opengroups.permissions import Authz, load_catalog, standing

CATALOG = load_catalog(None)


@pytest.mark.parametrize(
    ("role", "bypass", "expected"),
    [
        ("pending", True, "nothing"),
        ("pending", False, "nothing"),
        ("user", True, "granted"),
        ("user", False, "granted"),
        ("admin", True, "everything"),
        ("admin", False, "granted"),
    ],
)
def test_standing(role: str, bypass: bool, expected: str) -> None:
    assert standing(role, admin_bypass=bypass) == expected


@pytest.mark.parametrize(
    ("role", "bypass", "granted", "allowed"),
    [
        ("admin", True, frozenset(), True),
        ("admin", False, frozenset(), False),
        ("admin", False, frozenset({"chat.delete"}), True),
        ("user", True, frozenset({"chat.delete"}), True),
        ("user", True, frozenset({"chat.edit"}), False),
        ("pending", True, frozenset({"chat.delete"}), False),
    ],
)
def test_allows(role: str, bypass: bool, granted: frozenset[str], allowed: bool) -> None:
    assert Authz(CATALOG, admin_bypass=bypass).allows(role, "chat.delete", granted) is allowed


def test_a_tree_outside_the_catalog_is_refused_naming_the_path() -> None:
    with pytest.raises(InvalidInput, match=r"permissions\.chat\.fly"):
        Authz(CATALOG).validated({"chat": {"fly": True}})
    with pytest.raises(InvalidInput, match=r"^default_permissions"):
        Authz(CATALOG).validated({"chat": {"delete": "yes"}}, field="default_permissions")
