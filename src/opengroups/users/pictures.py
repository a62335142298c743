"""A user's picture, as ``GET /users/{id}/profile/image`` answers it.

``profile_image_url`` holds what the user (or a client) set: a ``data:`` URL with the image
itself, a web address, or a path such as Open WebUI's ``/user.png``. The route answers the
image of a ``data:`` URL when it is a raster format, redirects to a web address, and otherwise
answers a plain default picture. SVG from a ``data:`` URL is never served: served from this
origin it could run script.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

RASTER_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
DEFAULT_MEDIA_TYPE = "image/svg+xml"
_RASTER = re.compile(
    rf"^data:({'|'.join(re.escape(kind) for kind in RASTER_TYPES)});base64,([A-Za-z0-9+/=\s]+)$"
)
# A grey head and shoulders.
DEFAULT_PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
    '<rect width="64" height="64" fill="#d8dce3"/>'
    '<circle cx="32" cy="25" r="12" fill="#9aa3b2"/>'
    '<path d="M10 64c2-14 11-21 22-21s20 7 22 21z" fill="#9aa3b2"/></svg>'
)


def picture_path(user_id: str) -> str:
    """The route of a user's picture: what ``profile_image_url`` holds until they set one, as
    in Open WebUI 0.12.4."""
    return f"/api/v1/users/{user_id}/profile/image"


@dataclass(frozen=True)
class Picture:
    """An image to answer, or (``redirect``) the address to send the client to."""

    content: bytes = b""
    media_type: str = ""
    redirect: str | None = None


def picture(profile_image_url: str | None) -> Picture:
    """What to answer for a user whose picture is ``profile_image_url``."""
    url = (profile_image_url or "").strip()
    raster = _RASTER.match(url)
    if raster is not None:
        try:
            content = base64.b64decode(raster.group(2), validate=False)
        except (binascii.Error, ValueError):
            content = b""
        if content:
            return Picture(content, raster.group(1))
    if url.startswith(("https://", "http://")):
        return Picture(redirect=url)
    return Picture(DEFAULT_PICTURE.encode(), DEFAULT_MEDIA_TYPE)
