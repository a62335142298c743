"""Periodic background work of a server process, stopped cooperatively."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("opengroups")


async def every(
    seconds: float, work: Callable[[], Awaitable[None]], stop: asyncio.Event, *, first: float
) -> None:
    """Run ``work`` after ``first`` seconds and then every ``seconds`` until ``stop`` is set.

    A run in progress when the server stops is let finish rather than cancelled: cancelling a
    task inside a transaction can leave its connection (and SQLite's write lock) behind.
    """
    delay = first
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        try:
            await work()
        except Exception:  # maintenance must not take the server down; it runs again later
            logger.exception("Background work %s failed", getattr(work, "__name__", work))
        delay = seconds
