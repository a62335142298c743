"""Numbered pages, as the compatible API and the admin page count them (from 1)."""

from __future__ import annotations


def offset_of(page: int, size: int) -> int:
    """Where page ``page`` (1-based) of ``size`` items starts."""
    return (page - 1) * size


def page_count(total: int, size: int) -> int:
    """How many pages ``total`` items fill; an empty listing still has one page."""
    return max(1, -(-total // size))
