"""Optimistic concurrency: a row's revision is its ETag (RFC 9110 §8.8.3, §13.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from opengroups.errors import PreconditionFailed

T = TypeVar("T")


def etag(revision: int) -> str:
    return f'"{revision}"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def check_if_match(if_match: str | None, revision: int) -> None:
    """Raise ``PreconditionFailed`` (412) unless the ``If-Match`` header allows ``revision``;
    no header allows anything (Open WebUI clients send none)."""
    if if_match is None:
        return
    tags = _tags(if_match)
    if "*" not in tags and etag(revision) not in tags:
        raise PreconditionFailed(
            f"The resource changed since you read it (it is now at {etag(revision)})."
        )


def matches_none(if_none_match: str | None, revision: int) -> bool:
    """True when an ``If-None-Match`` header names the current revision (answer 304)."""
    if if_none_match is None:
        return False
    tags = _tags(if_none_match)
    return "*" in tags or etag(revision) in tags


@dataclass(frozen=True)
class Tagged(Generic[T]):
    """A value with the revision it was read at (its ETag), read together."""

    value: T
    revision: int

    @property
    def etag(self) -> str:
        return etag(self.revision)
