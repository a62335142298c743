"""The admin page's session cookie and CSRF tokens.

The cookie holds a JWT whose audience is the admin page, so the API (which accepts bearer JWTs
without an audience) refuses it, and an API token cannot open an admin session. Forms carry a
CSRF token derived from the cookie with HMAC: a page from another site can make the browser
send the cookie, but cannot read the token.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt

COOKIE = "opengroups_admin"
AUDIENCE = "opengroups-admin"
SESSION_SECONDS = 12 * 3600


def issue_session(user_id: str, *, secret: str, version: int = 0) -> str:
    """A session cookie for the user at their current token ``version`` (which sign-out and a
    new password or role raise, ending it)."""
    now = int(time.time())
    payload = {
        "id": user_id,
        "ver": version,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + SESSION_SECONDS,
    }
    return jwt.encode(payload, secret, "HS256")


def session_of(token: str | None, *, secret: str) -> tuple[str, int] | None:
    """``(user id, token version)`` of a valid admin session cookie, else None."""
    if not token:
        return None
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE)
    except jwt.PyJWTError:
        return None
    user_id, version = payload.get("id"), payload.get("ver", 0)
    if not isinstance(user_id, str) or not isinstance(version, int):
        return None
    return user_id, version


def csrf_token(session_token: str, *, secret: str) -> str:
    return hmac.new(secret.encode(), session_token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(given: str | None, session_token: str | None, *, secret: str) -> bool:
    if not given or not session_token:
        return False
    return hmac.compare_digest(given, csrf_token(session_token, secret=secret))
