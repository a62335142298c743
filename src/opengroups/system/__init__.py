"""Health and version."""
