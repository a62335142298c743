"""Dialect-specific SQL for groups: reading ``data.config.share`` the same way everywhere.

Open WebUI compares ``lower(share)`` as text, which on SQLite turns JSON ``false`` into ``0`` and
never matches (its weakness C1). Here the stored value is normalised in SQL to exactly one of
``'true'``, ``'false'`` or ``'members'`` on both databases: JSON ``true``/``false``, the strings
``"true"``/``"false"``/``"members"`` (any case) and ``1``/``0`` are understood, an absent value
takes the configured default, and anything unrecognised counts as ``'false'`` (least visible).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import ColumnElement, String, literal_column

from opengroups.config import ShareSetting

SHARE_TRUE = "true"
SHARE_FALSE = "false"
SHARE_MEMBERS = "members"

_DATA = '"group".data'


def share_literal(value: ShareSetting) -> str:
    if value == SHARE_MEMBERS:
        return SHARE_MEMBERS
    return SHARE_TRUE if value is True else SHARE_FALSE


def _text_case(text: str) -> str:
    return (
        f"(CASE lower({text}) WHEN 'true' THEN 'true' WHEN '1' THEN 'true' "
        f"WHEN 'members' THEN 'members' ELSE 'false' END)"
    )


def _sqlite(default: str) -> str:
    kind = f"json_type({_DATA}, '$.config.share')"
    value = f"json_extract({_DATA}, '$.config.share')"
    return (
        f"(CASE WHEN {kind} IS NULL OR {kind} = 'null' THEN '{default}' "
        f"WHEN {kind} IN ('true', 'false') THEN {kind} "
        f"WHEN {kind} = 'integer' THEN (CASE WHEN {value} = 0 THEN 'false' ELSE 'true' END) "
        f"WHEN {kind} = 'text' THEN {_text_case(value)} "
        f"ELSE 'false' END)"
    )


def _postgresql(default: str) -> str:
    node = f"({_DATA} #> '{{config,share}}')"
    text = f"({_DATA} #>> '{{config,share}}')"
    return (
        f"(CASE WHEN {node} IS NULL OR jsonb_typeof({node}) = 'null' THEN '{default}' "
        f"WHEN jsonb_typeof({node}) = 'boolean' THEN {text} "
        f"WHEN jsonb_typeof({node}) = 'number' THEN "
        f"(CASE WHEN {text} = '0' THEN 'false' ELSE 'true' END) "
        f"WHEN jsonb_typeof({node}) = 'string' THEN {_text_case(text)} "
        f"ELSE 'false' END)"
    )


@cache
def share_mode(dialect: str, default: ShareSetting) -> ColumnElement[str]:
    """The normalised share mode of the ``"group"`` rows of a query on the group table."""
    literal = share_literal(default)
    sql = _postgresql(literal) if dialect == "postgresql" else _sqlite(literal)
    return literal_column(sql, String())
