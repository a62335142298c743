"""A group's name and its identity.

Two names are the same group when they are the same text after Unicode compatibility
normalisation (NFKC: fullwidth letters, ligatures, composed and decomposed accents) and case
folding: ``name_key``. Characters that show nothing or steer the display (controls, format
characters such as zero-width spaces and direction overrides, the "filler" letters that render
as blanks) are refused in a name, so no two groups can differ only by what cannot be seen.
Look-alikes across scripts (Latin "a" and Cyrillic "\\u0430") stay different names.
"""

from __future__ import annotations

import unicodedata

from opengroups.schemas_common import BLANKS

# Letters that render as nothing although Unicode counts them as letters or symbols.
_BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Control, format, surrogate, private use, unassigned; line and paragraph separators.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _refused(char: str) -> bool:
    return char in _BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def name_pattern() -> str:
    """A regular expression (JSON Schema ``pattern``) matching exactly the names
    ``check_name`` accepts once the blanks around them are trimmed: no refused character, one
    that is not blank. Surrogates are left out of it: requests carrying one alone are refused
    before any schema is read. It walks this Python's whole Unicode database: build it once,
    for the OpenAPI document."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF or not _refused(chr(code)):
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))

    # The characters themselves, not escapes (``\\U`` is Python's alone): and none of them is
    # special inside a character class.
    refused = "".join(
        chr(low) if low == high else f"{chr(low)}-{chr(high)}" for low, high in ranges
    )
    return f"^[{BLANKS}]*[^{refused}]*[^{refused}{BLANKS}][^{refused}]*[{BLANKS}]*$"


def name_key(name: str) -> str:
    """The identity of a group named ``name`` (unique among groups)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def check_name(name: str) -> str:
    """``name`` if it has nothing invisible in it. Raises ``ValueError`` naming the first
    such character."""
    for position, char in enumerate(name):
        if _refused(char):
            raise ValueError(
                f"may not contain control or invisible characters "
                f"(U+{ord(char):04X} at position {position})"
            )
    if not name_key(name).strip():
        raise ValueError("must show something")
    return name
