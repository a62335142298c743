"""Field types shared by several domains' schemas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MAX_NAME_LENGTH = 255
# Ids are stored in 36-character columns (a UUID's text).
MAX_ID_LENGTH = 36
MAX_DESCRIPTION_LENGTH = 10_000
MAX_USER_IDS = 10_000


def _check_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)
]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)]
Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_check_email)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
# An id as stored; longer ones could never name a stored row.
Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH)]
# Integers the databases store in 64 bits.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
