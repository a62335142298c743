"""Helpers for the permission tests: apps started with custom settings, and short readers of a
user's effective permissions."""

from __future__ import annotations

from typing import Any

from tests.conftest import Account, Api

MY_PERMISSIONS = "/api/v1/users/permissions"
DEFAULTS = "/api/v1/users/default/permissions"
CHECK = "/api/v1/permissions/check"


async def my_permissions(api: Api, account: Account) -> dict[str, Any]:
    """``account``'s effective permission tree, as they read it themselves."""
    response = await api.get(MY_PERMISSIONS, account)
    assert response.status_code == 200, response.text
    tree: dict[str, Any] = response.json()
    return tree


async def has(api: Api, account: Account, key: str) -> bool:
    """Whether ``account``'s effective tree sets the dotted ``key``."""
    node: Any = await my_permissions(api, account)
    for part in key.split("."):
        node = node[part]
    assert isinstance(node, bool)
    return node
