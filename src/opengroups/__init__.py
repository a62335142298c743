"""opengroups: user groups and what their members may do."""

__version__ = "0.1.0"
