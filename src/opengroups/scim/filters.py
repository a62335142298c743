"""SCIM filters (RFC 7644 §3.4.2.2) and ``sortBy`` as SQLAlchemy expressions.

A list request is answered by the database: a filter becomes one WHERE clause over ``User`` or
``Group``, so paging and counting stay one query each, whatever the filter. scim2-models parses
the filter, resolves its attribute names (case-insensitive, URN-qualified or not) and tells each
attribute's type and caseExact; this module decides where each attribute lives and writes SQL.

Where the data lives: attributes with a column are compared on it (one mapping table per
resource type, ``_USER`` and ``_GROUP``); memberships on ``group_member`` (and, for a group's
members of type Group, on ``parent_group_id``); every other attribute in the ``scim`` JSON
document, as the SCIM JSON dump writes it. JSON is read through the constructs of
``json_sql``, rendered per dialect at compile time, so the expressions take no dialect and
compile on both. Values are always bound parameters.

Semantics. Every expression built here is two-valued (never NULL), so ``not`` and ``ne`` hold
for a resource that lacks the attribute: a user without a title matches ``title ne "x"``. A
multi-valued attribute matches when any of its values does; ``ne`` on one holds when none of
its values is equal, as scim2-models' own evaluator reads it. Strings compare
case-insensitively unless caseExact; ordering compares code points on both databases.

Indexes: ``id``, ``externalId``, a group's ``displayName`` (through ``name_key``) and
``members eq`` compare the bare indexed columns. ``userName eq`` is written as
``user_name_key = v OR (user_name_key IS NULL AND email = v)``, which both unique indexes
serve; its other operators read ``coalesce(user_name_key, email)``.

On SQLite ``lower()`` folds ASCII letters only, so there a case-insensitive comparison of a
JSON string or of a user's display name leaves other letters as they are. The keyed columns
(userName, e-mail, a group's displayName) are folded in Python when written, on every database.
"""

from __future__ import annotations

import calendar
import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from inspect import isclass
from typing import Any

import scim2_models as scim
from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    STRING_OPERATORS,
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ScimFilter,
    ValuePath,
    coerce_value,
)
from sqlalchemy import (
    Column,
    ColumnElement,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import Null

from opengroups.groups.names import name_key
from opengroups.models import Group, GroupMember, User
from opengroups.scim.json_sql import (
    EXACT_AFFIX,
    Bytewise,
    ItemDocument,
    JsonBoolean,
    JsonDefined,
    JsonItems,
    JsonNumber,
    JsonPath,
    JsonPresent,
    JsonText,
    Sql,
    like_pattern,
)

EQ, NE = CompareOperator.eq, CompareOperator.ne
_ORDERING: dict[CompareOperator, Callable[[Any, Any], ColumnElement[bool]]] = {
    CompareOperator.gt: operator.gt,
    CompareOperator.ge: operator.ge,
    CompareOperator.lt: operator.lt,
    CompareOperator.le: operator.le,
}


class FilterRefused(ValueError):
    """A filter or sortBy this server cannot apply. ``scim_type`` is the SCIM error type to
    answer with (``invalidFilter`` or ``invalidValue``); the message says what is wrong."""

    def __init__(self, message: str, scim_type: str = "invalidFilter") -> None:
        super().__init__(message)
        self.scim_type = scim_type


# --- Where a value is: a column, a place in a JSON document, nowhere ----------------------------


class _Operand:
    """One value of a resource, or of an element of a multi-valued attribute."""

    fold: Callable[[str], str] | None = None
    """Set when the value is a key folded in Python: compared with the folded operand, with no
    function around the column."""
    equals: Callable[[str], ColumnElement[bool]] | None = None
    """Set when equality with a (folded) string has a form the indexes serve better."""
    epoch: bool = False
    """A dateTime stored as whole epoch seconds."""

    def read(self, kind: str) -> ColumnElement[Any]:
        """The value as SQL, NULL where there is none."""
        raise NotImplementedError

    def present(self, kind: str) -> ColumnElement[bool]:
        raise NotImplementedError


@dataclass(frozen=True)
class _Column(_Operand):
    value: Sql
    fold: Callable[[str], str] | None = None
    equals: Callable[[str], ColumnElement[bool]] | None = None
    epoch: bool = False

    def read(self, kind: str) -> ColumnElement[Any]:
        return self.value.expression

    def present(self, kind: str) -> ColumnElement[bool]:
        has = _has_value(self.value)
        return and_(has, self.value != "") if kind == "string" else has


@dataclass(frozen=True)
class _Json(_Operand):
    document: Sql
    path: JsonPath

    def read(self, kind: str) -> ColumnElement[Any]:
        read = {"boolean": JsonBoolean, "number": JsonNumber}.get(kind, JsonText)
        return read(self.document, self.path)

    def present(self, kind: str) -> ColumnElement[bool]:
        return JsonPresent(self.document, self.path)


class _Missing(_Operand):
    """A sub-attribute the element cannot have (the type of a user's only, column e-mail)."""

    def read(self, kind: str) -> ColumnElement[Any]:
        return null()

    def present(self, kind: str) -> ColumnElement[bool]:
        return false()


_MISSING = _Missing()
Element = Callable[[str | None], _Operand]
"""One element of a multi-valued attribute: its sub-attributes by SCIM name (None: itself)."""


def _has_value(value: Sql) -> ColumnElement[bool]:
    if isinstance(value, Null):
        return false()
    column = value.expression
    if isinstance(column, Column) and not column.nullable:
        return true()
    return value.is_not(None)


# --- Multi-valued attributes -------------------------------------------------------------------


class _Values:
    """The values of a multi-valued attribute."""

    def any(self, test: Callable[[Element], ColumnElement[bool]]) -> ColumnElement[bool]:
        raise NotImplementedError

    def nonempty(self) -> ColumnElement[bool]:
        return self.any(lambda element: true())

    def first(self, sub: str | None, kind: str) -> ColumnElement[Any]:
        """The value sortBy orders by: the primary element's, else the first element's."""
        raise FilterRefused("sortBy cannot order by this attribute", "invalidValue")


@dataclass(frozen=True)
class _JsonArray(_Values):
    """A JSON array; ``fallback`` is the one element a resource has when its document has no
    such array (a user's e-mail column when the document has no ``emails``)."""

    document: Sql
    path: JsonPath
    fallback: Mapping[str, _Operand] | None = None

    def _fallback(self, sub: str | None) -> _Operand:
        assert self.fallback is not None
        return self.fallback.get(sub or "value", _MISSING)

    def any(self, test: Callable[[Element], ColumnElement[bool]]) -> ColumnElement[bool]:
        items = JsonItems(self.document, self.path).table_valued("value", "type")
        item = ItemDocument(items.c.value, items.c.type)
        found = exists(
            select(literal_column("1"))
            .select_from(items)
            .where(test(lambda sub: _Json(item, (sub,) if sub else ())))
        )
        if self.fallback is None:
            return found
        return or_(found, and_(~JsonDefined(self.document, self.path), test(self._fallback)))

    def nonempty(self) -> ColumnElement[bool]:
        found = JsonPresent(self.document, self.path)
        if self.fallback is None:
            return found
        alone = self._fallback("value").present("string")
        return or_(found, and_(~JsonDefined(self.document, self.path), alone))

    def first(self, sub: str | None, kind: str) -> ColumnElement[Any]:
        items = JsonItems(self.document, self.path).table_valued("value", "type")
        item = ItemDocument(items.c.value, items.c.type)
        inner: JsonPath = (sub,) if sub else ()
        primary = (
            select(_Json(item, inner).read(kind))
            .select_from(items)
            .where(_Json(item, ("primary",)).read("boolean").is_(True))
            .limit(1)
            .scalar_subquery()
        )
        value = func.coalesce(primary, _Json(self.document, (*self.path, 0, *inner)).read(kind))
        if self.fallback is None:
            return value
        alone = case((~JsonDefined(self.document, self.path), self._fallback(sub).read(kind)))
        return func.coalesce(value, alone)


@dataclass(frozen=True)
class _Rows(_Values):
    """Rows linked to the resource, one per value (memberships); ``operands`` are the
    sub-attributes an element has."""

    name: str
    link: ColumnElement[bool]
    operands: Mapping[str, _Operand]

    def _element(self, sub: str | None) -> _Operand:
        operand = self.operands.get(sub or "value")
        if operand is None:
            raise FilterRefused(f"'{self.name}.{sub}' cannot be filtered on")
        return operand

    def any(self, test: Callable[[Element], ColumnElement[bool]]) -> ColumnElement[bool]:
        return exists(select(literal_column("1")).where(self.link, test(self._element)))


@dataclass(frozen=True)
class _Union(_Values):
    parts: tuple[_Values, ...]

    def any(self, test: Callable[[Element], ColumnElement[bool]]) -> ColumnElement[bool]:
        return or_(*(part.any(test) for part in self.parts))


# --- The mapping tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    name: str
    resolver: ScimFilter[Any]
    """A filter bound to the resource type, used for its resolution of attribute paths."""
    path_type: type[scim.Path[Any]]
    document: Sql
    attributes: Mapping[str, _Operand | _Values | str] = field(repr=False)
    """By SCIM name as the core schema spells it; a string refuses the attribute, saying why.
    Any other attribute is read from ``document``."""

    def locate(self, binding: AttributeBinding, scim_type: str) -> _Operand | _Values:
        names = _names(binding)
        extension = isclass(binding.model) and issubclass(binding.model, scim.Extension)
        if not extension:
            for key in (".".join(names), names[0]):
                entry = self.attributes.get(key)
                if isinstance(entry, str):
                    raise FilterRefused(entry, scim_type)
                if isinstance(entry, _Values) or (entry is not None and key == ".".join(names)):
                    return entry
        prefix: JsonPath = (_schema(binding),) if extension else ()
        if binding.is_multivalued:
            return _JsonArray(self.document, (*prefix, names[0]))
        return _Json(self.document, (*prefix, *names))


def _names(binding: AttributeBinding) -> tuple[str, ...]:
    """The attribute and sub-attribute names as the schema spells them: ``("emails", "value")``."""
    return tuple(binding.urn.removeprefix(f"{_schema(binding)}:").split("."))


def _schema(binding: AttributeBinding) -> str:
    """The URN of the schema (resource or extension) declaring the attribute."""
    return str(getattr(binding.model, "__schema__", None) or "")


def _user_name_is(key: str) -> ColumnElement[bool]:
    named = and_(User.user_name_key.is_not(None), User.user_name_key == key)
    return or_(named, and_(User.user_name_key.is_(None), User.email == key))


_NOT_STORED = "meta.location and meta.version are not stored, so they cannot be filtered on"
_child = aliased(Group, name="child_group")

_USER = _Resource(
    name="User",
    resolver=ScimFilter[scim.User[scim.EnterpriseUser]]("id pr"),
    path_type=scim.Path[scim.User[scim.EnterpriseUser]],
    document=User.scim,
    attributes={
        "id": _Column(User.id),
        "userName": _Column(
            func.coalesce(User.user_name_key, User.email), fold=str.lower, equals=_user_name_is
        ),
        "externalId": _Column(User.external_id),
        "displayName": _Column(User.name),
        "active": _Column(User.active),
        "meta": _Column(User.created_at),
        "meta.created": _Column(User.created_at, epoch=True),
        "meta.lastModified": _Column(User.updated_at, epoch=True),
        "meta.resourceType": _Column(literal("User")),
        "meta.location": _NOT_STORED,
        "meta.version": _NOT_STORED,
        "password": "password cannot be filtered on",
        "emails": _JsonArray(
            User.scim, ("emails",), fallback={"value": _Column(User.email, fold=str.lower)}
        ),
        "groups": _Rows(
            "groups",
            GroupMember.user_id == User.id,
            {
                "value": _Column(GroupMember.group_id),
                "display": _Column(
                    select(Group.name_key)
                    .where(Group.id == GroupMember.group_id)
                    .scalar_subquery(),
                    fold=name_key,
                ),
                "type": _Column(literal("direct")),
            },
        ),
    },
)

_GROUP = _Resource(
    name="Group",
    resolver=ScimFilter[scim.Group]("id pr"),
    path_type=scim.Path[scim.Group],
    document=Group.scim,
    attributes={
        "id": _Column(Group.id),
        "displayName": _Column(Group.name_key, fold=name_key),
        "externalId": _Column(Group.external_id),
        "meta": _Column(Group.created_at),
        "meta.created": _Column(Group.created_at, epoch=True),
        "meta.lastModified": _Column(Group.updated_at, epoch=True),
        "meta.resourceType": _Column(literal("Group")),
        "meta.location": _NOT_STORED,
        "meta.version": _NOT_STORED,
        "members": _Union(
            (
                _Rows(
                    "members",
                    GroupMember.group_id == Group.id,
                    {
                        "value": _Column(GroupMember.user_id),
                        "type": _Column(literal("User")),
                        "display": _Column(
                            select(User.name)
                            .where(User.id == GroupMember.user_id)
                            .scalar_subquery()
                        ),
                    },
                ),
                _Rows(
                    "members",
                    _child.parent_group_id == Group.id,
                    {
                        "value": _Column(_child.id),
                        "type": _Column(literal("Group")),
                        "display": _Column(_child.name_key, fold=name_key),
                    },
                ),
            )
        ),
    },
)


# --- Comparisons -------------------------------------------------------------------------------


def _kind(binding: AttributeBinding) -> str:
    target = binding.target_type
    if isclass(target):
        if issubclass(target, bool):
            return "boolean"
        if issubclass(target, bytes):
            return "binary"
        if issubclass(target, int | float | Decimal):
            return "number"
        if issubclass(target, datetime):
            return "datetime"
        if issubclass(target, scim.BaseModel):
            return "complex"
    return "string"


def _checked(
    attr: str, binding: AttributeBinding, kind: str, op: CompareOperator, value: Any
) -> None:
    """Refuse a comparison the attribute's type does not take, the way RFC 7644 §3.4.2.2 asks
    (``invalidFilter``); scim2-models reads ``"yes"`` as true and a number as a dateTime."""
    shown = json.dumps(value)
    if kind == "complex":
        raise FilterRefused(f"'{attr}' is a complex attribute: compare one of its sub-attributes")
    if value is None:
        if op not in (EQ, NE):
            raise FilterRefused(f"'{attr}' can be compared with null by eq or ne only")
        return
    if kind in ("boolean", "binary") and op not in (EQ, NE):
        raise FilterRefused(f"'{attr}' is {kind}: only eq and ne apply to it, not {op.value}")
    if kind == "boolean" and not isinstance(value, bool):
        raise FilterRefused(f"'{attr}' is a boolean: compare it with true or false, not {shown}")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise FilterRefused(f"'{attr}' is a number: compare it with a number, not {shown}")
    if kind == "number" and op in STRING_OPERATORS:
        raise FilterRefused(f"'{attr}' is a number: {op.value} applies to strings only")
    if kind in ("string", "binary", "datetime") and not isinstance(value, str):
        raise FilterRefused(f"'{attr}' holds text: compare it with a quoted string, not {shown}")
    if kind == "datetime" and op in STRING_OPERATORS:
        raise FilterRefused(f"'{attr}' is a dateTime: {op.value} applies to strings only")
    if kind == "datetime":
        try:
            coerce_value(binding, value)
        except SCIMException as exc:
            message = f"'{attr}' is a dateTime such as 2011-05-13T04:42:34Z, not {shown}"
            raise FilterRefused(message) from exc


def _compare(
    operand: _Operand, binding: AttributeBinding, kind: str, op: CompareOperator, value: Any
) -> ColumnElement[bool]:
    if value is None:
        present = operand.present(kind)
        return ~present if op is EQ else present
    if op is NE:
        return ~_compare(operand, binding, kind, EQ, value)
    value_sql = operand.read(kind)
    if kind == "boolean":
        return value_sql.is_(value)
    if operand.epoch:
        return _compare_epoch(value_sql, op, coerce_value(binding, value, op))
    has = _has_value(value_sql)
    if kind == "number":
        test = value_sql == value if op is EQ else _ORDERING[op](value_sql, value)
        return and_(has, test)
    exact = binding.case_exact or kind != "string"
    left, right = value_sql, value
    if not exact:
        left, right = (
            (value_sql, operand.fold(value))
            if operand.fold
            else (
                func.lower(value_sql),
                value.lower(),
            )
        )
    if op is EQ:
        return operand.equals(right) if operand.equals else and_(has, left == right)
    if op in STRING_OPERATORS:
        if right == "":
            return has
        if exact:
            return and_(has, EXACT_AFFIX[op](value_sql, right))
        return and_(has, left.like(like_pattern(op, right), escape="\\"))
    return and_(has, _ORDERING[op](Bytewise(left), right))


def _compare_epoch(
    column: ColumnElement[Any], op: CompareOperator, moment: datetime
) -> ColumnElement[bool]:
    """Whole epoch seconds against a dateTime that may have a fraction of a second."""
    seconds = calendar.timegm(moment.utctimetuple())
    fraction = moment.microsecond != 0
    if op is EQ:
        return false() if fraction else column == seconds
    if op is CompareOperator.gt or (op is CompareOperator.ge and fraction):
        return column > seconds
    if op is CompareOperator.ge:
        return column >= seconds
    if op is CompareOperator.le or fraction:
        return column <= seconds
    return column < seconds


@dataclass(frozen=True)
class _Scope:
    """Inside a value path: the selected attribute and one of its elements."""

    path: AttrPath
    binding: AttributeBinding
    element: Element


class _Translator(FilterVisitor[ColumnElement[bool]]):
    """Writes a parsed filter as a WHERE clause over ``resource``."""

    def __init__(self, resource: _Resource, scope: _Scope | None = None) -> None:
        self.resource = resource
        self.scope = scope

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op is LogicalOperator.and_ else or_(*terms)

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return ~self.visit(node.expr)

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        binding, target, sub = self._locate(node.attr_path, comparison=True)
        kind = _kind(binding)
        _checked(str(node.attr_path), binding, kind, node.op, node.value)
        if isinstance(target, _Operand):
            return _compare(target, binding, kind, node.op, node.value)
        op = EQ if node.op is NE else node.op
        found = target.any(lambda element: _compare(element(sub), binding, kind, op, node.value))
        return ~found if node.op is NE else found

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        binding, target, sub = self._locate(node.attr_path)
        kind = _kind(binding)
        if isinstance(target, _Operand):
            return target.present(kind)
        if sub is None:
            return target.nonempty()
        return target.any(lambda element: element(sub).present(kind))

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        if self.scope is not None:
            raise FilterRefused(f"'{node}': a value path cannot be nested in another")
        binding, target, _ = self._locate(node.attr_path)
        if not isinstance(target, _Values):
            raise FilterRefused(f"'{node.attr_path}' is not multi-valued")
        return target.any(
            lambda element: _Translator(
                self.resource, _Scope(node.attr_path, binding, element)
            ).visit(node.val_filter)
        )

    def _locate(
        self, attr_path: AttrPath, *, comparison: bool = False
    ) -> tuple[AttributeBinding, _Operand | _Values, str | None]:
        """The attribute a path names, where its value is, and the sub-attribute compared
        within each element when it is multi-valued."""
        if self.scope is None:
            binding = self._resolve(attr_path, comparison=comparison)
            target = self.resource.locate(binding, "invalidFilter")
            return binding, target, _names(binding)[-1] if binding.sub_field_name else None
        outer = self.scope
        if attr_path.uri or attr_path.sub_attr:
            raise FilterRefused(f"'{attr_path}' is not a sub-attribute of '{outer.path}'")
        item_model = outer.binding.field_type
        if isclass(item_model) and issubclass(item_model, scim.BaseModel):
            binding = self._resolve(AttrPath(outer.path.attr, attr_path.attr, outer.path.uri))
            return binding, outer.element(_names(binding)[-1]), None
        if attr_path.attr.lower() != "value":
            raise FilterRefused(f"'{outer.path}' holds plain values: name them 'value'")
        return outer.binding, outer.element(None), None

    def _resolve(self, attr_path: AttrPath, *, comparison: bool = False) -> AttributeBinding:
        resolver = self.resource.resolver
        resolve = resolver.resolve_comparison if comparison else resolver.resolve
        try:
            binding = resolve(attr_path)
        except SCIMException as exc:
            message = f"'{attr_path}' is not an attribute of a SCIM {self.resource.name}"
            raise FilterRefused(message) from exc
        assert binding is not None  # the filter is bound to a model
        return binding


# --- The public API ----------------------------------------------------------------------------


def _where(resource: _Resource, text: str) -> ColumnElement[bool]:
    # Parsed unbound: the checks of each comparison are this module's (stricter than the
    # library's coercion, which reads "yes" as true), the names are resolved by
    # ``resource.resolver``.
    try:
        scim_filter: ScimFilter[Any] = ScimFilter(text)
    except SCIMException as exc:
        raise FilterRefused(f"invalid filter: {exc}", exc.scim_type or "invalidFilter") from exc
    return _Translator(resource).visit(scim_filter.ast)


def _order(resource: _Resource, sort_by: str) -> ColumnElement[Any]:
    try:
        path = resource.path_type(sort_by)
    except SCIMException as exc:
        raise FilterRefused(f"sortBy {sort_by!r} is not an attribute path", "invalidValue") from exc
    binding = path.resolve() if isinstance(path.ast, AttrPath) else None
    if binding is None:
        message = f"sortBy {sort_by!r} is not an attribute of a SCIM {resource.name}"
        raise FilterRefused(message, "invalidValue")
    if binding.is_multivalued and _kind(binding) == "complex":
        # RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its (primary) value.
        binding = resource.path_type(f"{sort_by}.value").resolve() or binding
    kind = _kind(binding)
    if kind == "complex":
        message = f"sortBy {sort_by!r} is a complex attribute: name one of its sub-attributes"
        raise FilterRefused(message, "invalidValue")
    target = resource.locate(binding, "invalidValue")
    if isinstance(target, _Operand):
        value, fold = target.read(kind), target.fold
    else:
        sub = _names(binding)[-1] if binding.sub_field_name else None
        value, fold = target.first(sub, kind), None
    if kind in ("boolean", "number") or (isinstance(target, _Operand) and target.epoch):
        return value
    if kind == "string" and not binding.case_exact and fold is None:
        value = func.lower(value)
    return Bytewise(value)


def user_filter(text: str) -> ColumnElement[bool]:
    """The WHERE clause over ``User`` for the SCIM filter ``text``. Raises ``FilterRefused``
    (``invalidFilter``) for bad syntax, an unknown attribute, or an operator or value the
    attribute's type does not take."""
    return _where(_USER, text)


def group_filter(text: str) -> ColumnElement[bool]:
    """The WHERE clause over ``Group`` for the SCIM filter ``text``; raises as ``user_filter``."""
    return _where(_GROUP, text)


def user_order(sort_by: str) -> ColumnElement[Any]:
    """The ORDER BY expression over ``User`` for the SCIM ``sortBy`` attribute; the caller adds
    the direction and ``User.id`` as tiebreak. It is NULL for users without a value: add
    ``nulls_last()`` to an ascending order and ``nulls_first()`` to a descending one, as RFC 7644
    §3.4.2.3 asks. A multi-valued attribute orders by its primary value, else its first.
    Raises ``FilterRefused`` (``invalidValue``) for a path that names no sortable attribute."""
    return _order(_USER, sort_by)


def group_order(sort_by: str) -> ColumnElement[Any]:
    """The ORDER BY expression over ``Group`` for ``sortBy``; as ``user_order``."""
    return _order(_GROUP, sort_by)
