"""The authorization engine wired to the database: defaults, effective permissions with their
explanation, batch checks, and the per-process cache kept exact by a revision counter."""
