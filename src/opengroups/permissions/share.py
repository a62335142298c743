"""Who may see a group and share with it: its ``data.config.share`` setting.

Three modes: ``true`` (everyone may see the group and share with it), ``"members"`` (its
effective members), ``false`` (nobody but admins). This module is the one reading of the
setting; ``groups/share_sql.py`` states the same reading in SQL.

- **Writes** (API forms, bundles, the ``OPENGROUPS_DEFAULT_GROUP_SHARE`` setting) accept
  ``true``, ``false``, ``"members"`` and the strings ``"true"``/``"false"`` in any case, and
  store booleans or ``"members"``; anything else is refused.
- **Reads** of stored data (rows written elsewhere, older data) understand more: JSON
  ``true``/``false``, those strings and ``"1"`` in any case, numbers (``0`` is ``false``); an
  absent or null value reads as ``true`` (``ABSENT_SHARE``); anything else reads as ``false``, the
  least visible choice. (Open WebUI compares ``lower(share)`` as text, so JSON ``false`` never
  matches on SQLite: its weakness C1.)
"""

from __future__ import annotations

from typing import Any, Literal

ShareMode = Literal["true", "false", "members"]
ShareSetting = bool | Literal["members"]

SHARE_TRUE: ShareMode = "true"
SHARE_FALSE: ShareMode = "false"
SHARE_MEMBERS: ShareMode = "members"
# How a group whose stored data has no ``share`` reads: shared with everyone, as the seed says
# (rows imported, or written before the key existed). New groups get the key written
# (``OPENGROUPS_DEFAULT_GROUP_SHARE``), so this applies to such rows only.
ABSENT_SHARE: ShareSetting = True


def parse_share(value: object) -> ShareSetting:
    """A written ``share`` value as stored: ``True``, ``False`` or ``"members"``. Raises
    ``ValueError`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "false"}:
            return lowered == "true"
        if lowered == SHARE_MEMBERS:
            return "members"
    raise ValueError('share must be true, false or "members"')


def mode_of_setting(value: ShareSetting) -> ShareMode:
    """A stored setting as a mode."""
    if value == SHARE_MEMBERS:
        return SHARE_MEMBERS
    return SHARE_TRUE if value is True else SHARE_FALSE


def read_share(data: Any, default: ShareSetting = ABSENT_SHARE) -> ShareMode:
    """The share mode of a group's stored ``data``, read as the SQL expression reads it."""
    config = data.get("config") if isinstance(data, dict) else None
    if not isinstance(config, dict) or config.get("share") is None:
        return mode_of_setting(default)
    value = config["share"]
    if isinstance(value, bool):
        return SHARE_TRUE if value else SHARE_FALSE
    if isinstance(value, int | float):
        return SHARE_FALSE if value == 0 else SHARE_TRUE
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in {"true", "1"}:
            return SHARE_TRUE
        if lowered == SHARE_MEMBERS:
            return SHARE_MEMBERS
    return SHARE_FALSE
