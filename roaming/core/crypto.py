"""Secrets at rest.

* Tokens *we* issue are stored as SHA-256 digests only. They are 256-bit random values, so a plain digest is not
  brute-forceable and needs no pepper; it lets us look a presented token up by digest and compare in constant time.
* Tokens a partner issued *us* must be sent back on every call, so they are encrypted (Fernet, AES-128-CBC + HMAC)
  with ``CREDENTIALS_ENCRYPTION_KEYS``. The first key encrypts; all keys decrypt, which allows key rotation.
"""

import hashlib
import hmac
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def generate_token() -> str:
    """A new credentials token: 43 URL-safe characters (256 bits), inside OCPI's string(64) printable ASCII."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def digests_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS)).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    try:
        return _fernet(tuple(settings.CREDENTIALS_ENCRYPTION_KEYS)).decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # wrong key: say so instead of a bare cryptography error
        raise ValueError("cannot decrypt a stored credential: check CREDENTIALS_ENCRYPTION_KEYS") from exc
