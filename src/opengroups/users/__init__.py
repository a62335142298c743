"""Users: accounts, roles and their groups."""
