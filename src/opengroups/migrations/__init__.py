"""Alembic migrations, shipped inside the package and run by ``opengroups.kit.migrate``."""
