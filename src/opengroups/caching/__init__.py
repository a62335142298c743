"""The per-process caches (``owner.Caches``) and the revision that keeps them exact across
processes (``revision``)."""

from opengroups.caching.owner import Caches
from opengroups.caching.revision import Invalidation

__all__ = ["Caches", "Invalidation"]
