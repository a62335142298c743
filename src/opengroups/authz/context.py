from __future__ import annotations

from dataclasses import dataclass, field

from opengroups.authz.cache import PermissionCache
from opengroups.permissions import Catalog


@dataclass
class Authz:
    """What the engine needs in one process: the catalog, the bypass rule and the cache."""

    catalog: Catalog
    admin_bypass: bool = True
    cache: PermissionCache = field(default_factory=PermissionCache)
