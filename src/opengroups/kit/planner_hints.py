"""Hints for SQLite's query planner, written so that PostgreSQL reads the same SQL unchanged.

SQLite keeps no statistics by default, so it cannot tell a group of 50 members from one of
50,000 and sometimes picks an index that makes a statement far slower (``docs/performance.md``).
Writing a column as ``+column`` makes it ignore any index for that term (its documented way to
steer the planner); ``unindexed`` does that on SQLite and renders the plain column on other
databases, whose planners keep statistics and choose for themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class _Unindexed(ColumnElement[Any]):
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _compile_plain(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _compile_sqlite(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[Any]:
    """``column``, which SQLite must not look up through an index in this term (``+column``)."""
    return _Unindexed(column.expression if isinstance(column, QueryableAttribute) else column)
