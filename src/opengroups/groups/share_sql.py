"""The share rule of ``permissions/share.py`` in SQL: reading ``data.config.share`` the same way
on both databases, so that filters run in the query.

The stored value is normalised to exactly one of ``'true'``, ``'false'`` or ``'members'`` with
one expression per dialect (SQLite ``json_type``/``json_extract``, PostgreSQL
``#>``/``#>>``/``jsonb_typeof``); ``permissions.share.read_share`` is the same reading in
Python, and a test holds the two to the same table of values.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, literal_column

from opengroups.permissions.share import ABSENT_SHARE, ShareSetting, mode_of_setting

_DATA = '"group".data'


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
        f"WHEN {kind} = 'real' THEN (CASE WHEN {value} = 0 THEN 'false' ELSE 'true' END) "
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
        f"(CASE WHEN ({text})::numeric = 0 THEN 'false' ELSE 'true' END) "
        f"WHEN jsonb_typeof({node}) = 'string' THEN {_text_case(text)} "
        f"ELSE 'false' END)"
    )


def share_mode(dialect: str, default: ShareSetting = ABSENT_SHARE) -> ColumnElement[str]:
    """The normalised share mode of the ``"group"`` rows of a query on the group table, a
    group without a stored ``share`` reading as ``default``."""
    literal = mode_of_setting(default)
    sql = _postgresql(literal) if dialect == "postgresql" else _sqlite(literal)
    return literal_column(sql, String())
