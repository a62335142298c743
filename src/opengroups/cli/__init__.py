"""The ``opengroups`` command line, over the same services as the API."""
