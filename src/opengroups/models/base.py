"""Declarative base with a naming convention so migrations name constraints predictably."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite (text read through JSON1), JSONB on PostgreSQL (indexable, `->` operators).
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {dict[str, Any]: JsonType}


def now_epoch() -> int:
    """The current time in whole epoch seconds, as every timestamp column stores it."""
    return int(time.time())


def new_id() -> str:
    return str(uuid.uuid4())
