"""JSON values compared as JSON defines them.

PostgreSQL's JSONB keeps a number's value, not its spelling: ``1.5e300`` comes back as its 301
digits (an ``int`` once decoded) and ``-0.0`` as ``0.0``, while SQLite's JSON text gives back
what was written. Deciding whether an update changes anything by Python equality would then call
a bundle imported twice "updated" on PostgreSQL only; ``same_json`` compares numbers by their
exact decimal value, whatever their Python type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return (value,)  # Python counts True as 1; JSON does not
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest spelling that reads back as this float
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(item) for item in value]
    return value


def same_json(left: Any, right: Any) -> bool:
    """Whether two decoded JSON values are the same JSON value (numbers by value, objects
    whatever their key order)."""
    return bool(_comparable(left) == _comparable(right))
