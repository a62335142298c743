"""Direct memberships with their sources, and effective membership through the hierarchy."""
