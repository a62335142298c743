"""Admin-editable configuration stored in the database (one row per key), over the
environment's settings."""
