"""schemathesis hooks for .ci/fuzz.py (loaded through ``hooks`` in fuzz.toml).

A group name's schema is a pattern of every refused character (``groups.names.name_pattern``):
exact, but hypothesis generates from a negated class that large (most of it unassigned code
points) very slowly. This gives the ``group-name`` format a generator of its own: any text
without surrogates, kept when the service's own rule accepts it (the pattern still applies).
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from opengroups.groups.names import check_name


def _accepted(text: str) -> bool:
    name = text.strip()
    if not name:
        return False
    try:
        check_name(name)
    except ValueError:
        return False
    return True


schemathesis.openapi.format(
    "group-name",
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(_accepted),
)
