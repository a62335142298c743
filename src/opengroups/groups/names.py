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

# Letters that render as nothing although Unicode counts them as letters or symbols.
_BLANK_LOOKING = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# Control, format, surrogate, private use, unassigned; line and paragraph separators.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def name_key(name: str) -> str:
    """The identity of a group named ``name`` (unique among groups)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def check_name(name: str) -> str:
    """``name`` if it has nothing invisible in it. Raises ``ValueError`` naming the first
    such character."""
    for position, char in enumerate(name):
        if char in _BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            raise ValueError(
                f"may not contain control or invisible characters "
                f"(U+{ord(char):04X} at position {position})"
            )
    if not name_key(name).strip():
        raise ValueError("must show something")
    return name
