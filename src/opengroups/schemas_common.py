"""Field types shared by several domains' schemas."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

MAX_NAME_LENGTH = 255
# Ids are stored in 36-character columns (a UUID's text).
MAX_ID_LENGTH = 36
MAX_DESCRIPTION_LENGTH = 10_000
MAX_USER_IDS = 10_000


# The blanks around a value that are trimmed: what pydantic's ``strip_whitespace`` trims
# (Unicode's White_Space). Patterns name them rather than use ``\s``, whose meaning differs
# between Python (which adds U+001C..U+001F) and JSON Schema's ECMAScript (which adds U+FEFF).
BLANKS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# An address: something, ``@``, something with a dot, no blank or control character inside
# (``\x..`` escapes mean the same in Python's and ECMAScript's regular expressions).
_ADDRESS_CHAR = f"[^@{BLANKS}\\x00-\\x1f\\x7f]"
EMAIL_PATTERN = f"^[{BLANKS}]*{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\\.{_ADDRESS_CHAR}+[{BLANKS}]*$"
_EMAIL = re.compile(EMAIL_PATTERN)


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value.strip(BLANKS).lower()


# The ``pattern`` of each type is what the OpenAPI document says of it: what the validators
# below accept (surrounding blanks are trimmed, so a name must show one non-blank).
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    Field(json_schema_extra={"pattern": f"[^{BLANKS}]"}),
]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_check_email),
    Field(json_schema_extra={"pattern": EMAIL_PATTERN}),
]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# An id as stored; longer ones could never name a stored row.
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
# Integers the databases store in 64 bits.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class ProfileFields(BaseModel):
    """Open WebUI 0.12.4's profile and status fields of a user, in every answer that shows a
    user (all optional; a client that models Open WebUI's users expects them)."""

    bio: str | None = None
    gender: str | None = None
    date_of_birth: date | None = None
    status_emoji: str | None = None
    status_message: str | None = None
    status_expires_at: int | None = None


PROFILE_FIELDS = tuple(ProfileFields.model_fields)


def _date_text(value: object) -> object:
    # Pydantic would also take a number (seconds since 1970): the schema says a date's text.
    if isinstance(value, str | date):
        return value
    raise ValueError("must be a date such as 1990-04-01")


def _not_boolean(value: object) -> object:
    # Pydantic would take ``true`` as 1: the schema says an integer.
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true or false")
    return value


# A calendar date, sent as ``YYYY-MM-DD``.
DateText = Annotated[date, BeforeValidator(_date_text)]


class ProfileForm(BaseModel):
    """The profile fields a user sets on themselves (``/auths/update/profile``)."""

    bio: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)] | None = None
    gender: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = None
    date_of_birth: DateText | None = None


class StatusForm(BaseModel):
    """A user's status (``/users/user/status/update``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status_emoji": "🔬",
                    "status_message": "In the lab",
                    "status_expires_at": 1767398400,
                }
            ]
        }
    )

    status_emoji: Annotated[str, StringConstraints(max_length=64)] | None = None
    status_message: Annotated[str, StringConstraints(max_length=1000)] | None = None
    # Epoch seconds up to the end of year 9999: a JSON integer (``5.0`` is one), not ``false``.
    status_expires_at: (
        Annotated[int, Field(ge=0, le=253_402_300_799), BeforeValidator(_not_boolean)] | None
    ) = None
