"""Flash messages that cannot be forged: the outcome of a form, carried in the address of the
page it redirects to as a token signed with the instance secret.

A token is bound to the session that made it and expires after ``FLASH_SECONDS``: a link made
by anyone else (or a token copied from another session) shows nothing. The text is the
service's own (an outcome, or the reason a change was refused), never read from the address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

PARAM = "flash"
FLASH_SECONDS = 120
# Long enough for any message of ours; keeps the address short whatever a refusal quotes.
MAX_TEXT = 500
_PURPOSE = b"opengroups-admin-flash"


@dataclass(frozen=True)
class Flash:
    message: str | None = None
    error: str | None = None


def _mac(payload: str, *, session_token: str, secret: str) -> str:
    signed = b"\0".join((_PURPOSE, session_token.encode(), payload.encode()))
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()[:32]


def seal(flash: Flash, *, session_token: str, secret: str, now: float | None = None) -> str:
    """The token of ``flash`` for this session, valid ``FLASH_SECONDS`` from ``now``."""
    body = {
        "m": (flash.message or "")[:MAX_TEXT],
        "e": (flash.error or "")[:MAX_TEXT],
        "x": int(time.time() if now is None else now) + FLASH_SECONDS,
    }
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    payload = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{payload}.{_mac(payload, session_token=session_token, secret=secret)}"


def opened(
    token: str | None, *, session_token: str, secret: str, now: float | None = None
) -> Flash | None:
    """The flash a token carries, if this session made it and it has not expired; else None."""
    if not token or token.count(".") != 1:
        return None
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(payload, session_token=session_token, secret=secret)):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:  # signed by us, so never; but never a 500 for an address either
        return None
    expires = body.get("x") if isinstance(body, dict) else None
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        return None
    message, error = body.get("m"), body.get("e")
    return Flash(
        message=message if isinstance(message, str) and message else None,
        error=error if isinstance(error, str) and error else None,
    )
