from __future__ import annotations

from dataclasses import dataclass, field
from weakref import WeakValueDictionary

from opengroups.authz.cache import EffectivePermissions, PermissionCache
from opengroups.permissions import Catalog


@dataclass
class Authz:
    """What the engine needs in one process: the catalog, the bypass rule and the cache."""

    catalog: Catalog
    admin_bypass: bool = True
    cache: PermissionCache = field(default_factory=PermissionCache)
    # One object per distinct set of granted keys, shared by every user who has it (users in
    # the same groups): the cache holds 100,000 users in a few megabytes, not one tree each.
    shared: WeakValueDictionary[frozenset[str], EffectivePermissions] = field(
        default_factory=WeakValueDictionary
    )

    def effective(self, granted: frozenset[str]) -> EffectivePermissions:
        """The shared value for ``granted``, its tree rendered and encoded once."""
        value = self.shared.get(granted)
        if value is None:
            tree = self.catalog.render(dict.fromkeys(granted, True))
            value = self.shared[granted] = EffectivePermissions.of(granted, tree)
        return value
