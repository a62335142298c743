"""JSON documents and text in SQL, written once for SQLite (JSON1) and PostgreSQL (jsonb).

The SCIM filters (``filters``) read the ``scim`` documents of users and groups: a value at a
path as text, number or boolean, whether one is present, the elements of an array, and compare
text case-sensitively or by code point. Each construct here is one SQLAlchemy expression that
renders per dialect at compile time, so the expressions built from them take no dialect and
compile on both databases. Paths and values are bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from scim2_models.path import CompareOperator
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Numeric,
    String,
    case,
    cast,
    collate,
    false,
    func,
    literal,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from opengroups.kit.sql import escape_like

JsonPath = tuple[str | int, ...]
Sql = ColumnElement[Any] | QueryableAttribute[Any]


class _JsonPathType(TypeDecorator[JsonPath]):
    """A path into a JSON document, bound as each dialect takes one: ``$."a"[0]."b"`` for
    SQLite's JSON1 functions, a ``text[]`` for PostgreSQL's ``#>``."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: JsonPath | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return [str(step) for step in value]
        return "$" + "".join(f"[{s}]" if isinstance(s, int) else f'."{s}"' for s in value)


class _JsonRead(FunctionElement[Any]):
    """The value at ``path`` in a JSON document read as ``kind``: NULL where the document holds
    no value of that kind. ``present`` and ``defined`` are two-valued tests."""

    inherit_cache = True
    kind: ClassVar[str]

    def __init__(self, document: Sql, path: JsonPath) -> None:
        super().__init__(document, literal(path, _JsonPathType()))


class JsonText(_JsonRead):
    inherit_cache = True
    kind = "text"
    type = String()


class JsonNumber(_JsonRead):
    inherit_cache = True
    kind = "number"
    type = Numeric()


class JsonBoolean(_JsonRead):
    inherit_cache = True
    kind = "boolean"
    type = Boolean()


class JsonPresent(_JsonRead):
    """RFC 7644 ``pr``: not null, and not an empty string, array or object."""

    inherit_cache = True
    kind = "present"
    type = Boolean()


class JsonDefined(_JsonRead):
    """The document has a non-null value at the path."""

    inherit_cache = True
    kind = "defined"
    type = Boolean()


def _json_read(
    element: _JsonRead,
    json_type: ColumnElement[Any],
    text: ColumnElement[Any],
    names: Mapping[str, Any],
    boolean: ColumnElement[Any],
    number: ColumnElement[Any],
) -> ColumnElement[Any]:
    """The expression of ``element`` from a dialect's pieces: the JSON type's name there
    (``names`` maps ours to the dialect's), the value as text, as boolean and as number."""
    if element.kind == "text":
        return case((json_type == names["string"], text))
    if element.kind == "number":
        return case((json_type.in_(names["number"]), number))
    if element.kind == "boolean":
        return case((json_type.in_(names["boolean"]), boolean))
    if element.kind == "defined":
        return func.coalesce(json_type != "null", false())
    return func.coalesce(
        case(
            (json_type == names["string"], text != ""),
            (json_type == "array", text != "[]"),
            (json_type == "object", text != "{}"),
            else_=json_type != "null",
        ),
        false(),
    )


_SQLITE_TYPES = {"string": "text", "number": ("integer", "real"), "boolean": ("true", "false")}
_POSTGRES_TYPES = {"string": "string", "number": ("number",), "boolean": ("boolean",)}


@compiles(_JsonRead, "sqlite")
def _json_read_sqlite(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    document, path = element.clauses.clauses
    json_type = func.json_type(document, path)
    value = func.json_extract(document, path)
    boolean = json_type == "true"
    expression = _json_read(element, json_type, value, _SQLITE_TYPES, boolean, value)
    return compiler.process(expression, **kw)


@compiles(_JsonRead, "postgresql")
def _json_read_postgresql(element: _JsonRead, compiler: SQLCompiler, **kw: Any) -> str:
    document, path = element.clauses.clauses
    json_type = func.jsonb_typeof(document.op("#>")(path))
    text = document.op("#>>")(path)
    expression = _json_read(
        element, json_type, text, _POSTGRES_TYPES, cast(text, Boolean), cast(text, Numeric)
    )
    return compiler.process(expression, **kw)


class JsonItems(FunctionElement[Any]):
    """The elements of the JSON array at ``path`` (none unless an array is there), as a table
    valued function with a ``value`` column; SQLite's also has ``type``, read by
    ``ItemDocument``."""

    inherit_cache = True

    def __init__(self, document: Sql, path: JsonPath) -> None:
        super().__init__(document, literal(path, _JsonPathType()))


@compiles(JsonItems, "sqlite")
def _json_items_sqlite(element: JsonItems, compiler: SQLCompiler, **kw: Any) -> str:
    document, path = element.clauses.clauses
    array = case((func.json_type(document, path) == "array", func.json_extract(document, path)))
    return f"json_each({compiler.process(array, **kw)})"


@compiles(JsonItems, "postgresql")
def _json_items_postgresql(element: JsonItems, compiler: SQLCompiler, **kw: Any) -> str:
    document, path = element.clauses.clauses
    node = document.op("#>")(path)
    array = case((func.jsonb_typeof(node) == "array", node))
    return f"jsonb_array_elements({compiler.process(array, **kw)})"


class ItemDocument(FunctionElement[Any]):
    """One row of ``JsonItems`` as a JSON document, so the reads above apply to it. SQLite
    gives an element that is not an array or object as a plain SQL value (true as 1), so its
    JSON is rebuilt from its type."""

    inherit_cache = True


@compiles(ItemDocument, "sqlite")
def _item_document_sqlite(element: ItemDocument, compiler: SQLCompiler, **kw: Any) -> str:
    value, json_type = element.clauses.clauses
    document = case(
        (json_type == "true", func.json("true")),
        (json_type == "false", func.json("false")),
        else_=func.json_quote(value),
    )
    return compiler.process(document, **kw)


@compiles(ItemDocument, "postgresql")
def _item_document_postgresql(element: ItemDocument, compiler: SQLCompiler, **kw: Any) -> str:
    value, _ = element.clauses.clauses
    return compiler.process(value, **kw)


class Bytewise(FunctionElement[Any]):
    """Text that orders by code point on both databases, whatever PostgreSQL's collation."""

    inherit_cache = True


@compiles(Bytewise, "sqlite")
def _bytewise_sqlite(element: Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(Bytewise, "postgresql")
def _bytewise_postgresql(element: Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(collate(element.clauses.clauses[0], "C"), **kw)


def like_pattern(op: CompareOperator, term: str) -> str:
    escaped = escape_like(term)
    return {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op.value]


class _ExactAffix(FunctionElement[bool]):
    """``text`` contains, starts or ends with ``term``, case-sensitively: LIKE on PostgreSQL;
    on SQLite, whose LIKE ignores ASCII case, instr and substr."""

    inherit_cache = True
    type = Boolean()
    affix: ClassVar[CompareOperator]

    def __init__(self, text: ColumnElement[Any], term: str) -> None:
        super().__init__(text, literal(term), literal(like_pattern(self.affix, term)))


class _Contains(_ExactAffix):
    inherit_cache = True
    affix = CompareOperator.co


class _StartsWith(_ExactAffix):
    inherit_cache = True
    affix = CompareOperator.sw


class _EndsWith(_ExactAffix):
    inherit_cache = True
    affix = CompareOperator.ew


EXACT_AFFIX = {cls.affix: cls for cls in (_Contains, _StartsWith, _EndsWith)}


@compiles(_ExactAffix, "sqlite")
def _exact_affix_sqlite(element: _ExactAffix, compiler: SQLCompiler, **kw: Any) -> str:
    text, term, _ = element.clauses.clauses
    test: ColumnElement[bool]
    if element.affix is CompareOperator.co:
        test = func.instr(text, term) > 0
    elif element.affix is CompareOperator.sw:
        test = func.substr(text, 1, func.length(term)) == term
    else:
        test = func.substr(text, -func.length(term)) == term
    return compiler.process(test, **kw)


@compiles(_ExactAffix, "postgresql")
def _exact_affix_postgresql(element: _ExactAffix, compiler: SQLCompiler, **kw: Any) -> str:
    text, _, pattern = element.clauses.clauses
    return compiler.process(text.like(pattern, escape="\\"), **kw)
