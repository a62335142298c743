"""The authorization engine wired to the database: defaults, effective permissions with their
explanation, and batch checks (cached in ``caching.Caches``)."""
