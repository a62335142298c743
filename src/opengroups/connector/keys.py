"""A target's API key at rest: Fernet (AES-128-CBC with HMAC-SHA256), keyed by HKDF-SHA256 from
the instance secret, so a copy of the database alone does not give the key away, and the
instance secret itself is never used directly as a cipher key."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from opengroups.errors import OpenGroupsError

# Binds the derived key to this one use: another use of the instance secret gets another key.
_INFO = b"opengroups owui-target api-key v1"


class KeyUnreadable(OpenGroupsError):
    """The stored key does not decrypt: the instance secret changed since it was stored."""

    status_code = 409

    def __init__(self, target: str) -> None:
        super().__init__(
            f"The API key of target '{target}' cannot be decrypted (the instance secret "
            "changed since it was stored); give it again (opengroups owui targets update "
            f"{target} --api-key-env VAR, or POST /api/v1/owui/targets/{target}/update)."
        )


def _fernet(secret: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_api_key(api_key: str, *, secret: str) -> str:
    return _fernet(secret).encrypt(api_key.encode()).decode("ascii")


def decrypt_api_key(token: str, *, secret: str, target: str) -> str:
    """The API key. Raises ``KeyUnreadable``."""
    try:
        return _fernet(secret).decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise KeyUnreadable(target) from exc
