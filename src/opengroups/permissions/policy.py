"""Who passes a permission check before any tree is looked at, and the engine's settings.

One rule, used by every check (batch checks, resource access, explanations): a pending account
passes nothing, an admin passes everything while the admin bypass is on, everyone else has what
their effective permissions grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opengroups.errors import InvalidInput
from opengroups.permissions.catalog import Catalog, PermissionTree, PermissionTreeError

Role = Literal["admin", "user", "pending"]
Standing = Literal["nothing", "everything", "granted"]


def standing(role: str, *, admin_bypass: bool) -> Standing:
    """What a check answers for an account with ``role``: ``nothing`` passes (pending),
    ``everything`` passes (admins with the bypass on), or what is ``granted``."""
    if role == "pending":
        return "nothing"
    if role == "admin" and admin_bypass:
        return "everything"
    return "granted"


@dataclass(frozen=True)
class Authz:
    """The permission engine's settings in one process: the catalog and the bypass rule."""

    catalog: Catalog
    admin_bypass: bool = True

    def standing(self, role: str) -> Standing:
        return standing(role, admin_bypass=self.admin_bypass)

    def allows(self, role: str, key: str, granted: frozenset[str]) -> bool:
        """Whether an account with ``role`` and these granted keys passes ``key``."""
        found = self.standing(role)
        return found == "everything" or (found == "granted" and key in granted)

    def validated(self, tree: object, *, field: str = "permissions") -> PermissionTree:
        """``tree`` checked against the catalog. Raises ``InvalidInput`` (422) naming the path."""
        try:
            return self.catalog.validate_tree(tree)
        except PermissionTreeError as exc:
            path = f"{field}.{exc.path}" if exc.path else field
            raise InvalidInput(f"{path}: {exc.reason}") from exc
