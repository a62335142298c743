"""The shape of an answer, and how two answers differ in status and shape.

A shape maps every JSON path of a body (``$``, ``$.users``, ``$.users[].name``) to the JSON
types found there (``object``, ``array``, ``string``, ``number``, ``boolean``, ``null``); the
elements of an array share the path ``[]``. Values, ids and timestamps do not count: two answers
have the same shape when they have the same keys, recursively, holding the same types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

ABSENT = "absent"


@dataclass(frozen=True)
class Answer:
    """What a server answered to one request: the status and the parsed JSON body (``None``
    with ``is_json`` false when the body was not JSON)."""

    status: int
    body: Any
    is_json: bool = True

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        if "json" not in response.headers.get("content-type", ""):
            return cls(response.status_code, None, is_json=False)
        return cls(response.status_code, response.json())


class Difference(NamedTuple):
    """``where`` (``status`` or a JSON path) reads ``openwebui`` on one server and
    ``opengroups`` on the other: a status code, or the JSON types found there."""

    where: str
    openwebui: str
    opengroups: str


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value: Any, path: str = "$") -> dict[str, set[str]]:
    """Every path of ``value`` with the JSON types found there."""
    found: dict[str, set[str]] = {path: {json_type(value)}}
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(f"{path}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[]", item) for item in value]
    for child_path, item in children:
        for where, types in shape(item, child_path).items():
            found.setdefault(where, set()).update(types)
    return found


def outline(answer: Answer) -> str:
    """The body's JSON type, with its keys when it is an object: ``object{detail}``."""
    if not answer.is_json:
        return "not JSON"
    if isinstance(answer.body, dict):
        return "object{" + ",".join(sorted(answer.body)) + "}"
    return json_type(answer.body)


def _shape_of(answer: Answer) -> dict[str, set[str]]:
    return shape(answer.body) if answer.is_json else {"$": {"not JSON"}}


def _parent(path: str) -> str:
    return path.removesuffix("[]") if path.endswith("[]") else path.rsplit(".", 1)[0]


def differences(openwebui: Answer, opengroups: Answer) -> set[Difference]:
    """How ``opengroups`` answered differently from ``openwebui``. Two statuses that differ are
    one difference, and the bodies' outlines another if they differ too. With the same status,
    each path whose types differ is one; below it, a path found on one side only is not reported
    again (a key that one server lacks is one difference, not one per nested key)."""
    if openwebui.status != opengroups.status:
        # Different outcomes: the bodies are compared by their outline only.
        found = {Difference("status", str(openwebui.status), str(opengroups.status))}
        if outline(openwebui) != outline(opengroups):
            found.add(Difference("body", outline(openwebui), outline(opengroups)))
        return found
    found = set()
    theirs, ours = _shape_of(openwebui), _shape_of(opengroups)
    differing: set[str] = set()
    for path in sorted(theirs.keys() | ours.keys()):
        one_sided = path not in theirs or path not in ours
        if one_sided and _parent(path) in differing:
            differing.add(path)
            continue
        types = (
            "|".join(sorted(theirs.get(path, {ABSENT}))),
            "|".join(sorted(ours.get(path, {ABSENT}))),
        )
        if types[0] != types[1]:
            differing.add(path)
            found.add(Difference(path, *types))
    return found
