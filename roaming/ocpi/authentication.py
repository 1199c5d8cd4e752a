"""OCPI credentials-token authentication (transport_and_format.asciidoc, Authorization header).

2.2.1 sends ``Authorization: Token <base64(token)>``; 2.1.1 and many 2.2 peers send the token verbatim. We accept
both: the raw value is tried first, then its Base64 decoding. The lookup itself is delegated to the backend named by
``settings.OCPI_CREDENTIALS_BACKEND`` (the partners app), so this core imports no module app.
"""

import base64
import binascii
import logging
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.authentication import BaseAuthentication

from roaming.ocpi.exceptions import Unauthorized

logger = logging.getLogger("roaming.ocpi.auth")

_MAX_TOKEN_LENGTH = 512  # string(64) per spec; be lenient but never hash megabytes


@cache
def credentials_backend():
    return import_string(settings.OCPI_CREDENTIALS_BACKEND)()


def token_candidates(header_value: str) -> list[tuple[str, str]]:
    """Parse the header into (token, encoding) candidates; raise Unauthorized when malformed."""
    parts = header_value.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "token":
        raise Unauthorized("Malformed Authorization header: expected 'Token <credentials token>'")
    raw = parts[1].strip()
    if not raw or len(raw) > _MAX_TOKEN_LENGTH:
        raise Unauthorized("Malformed Authorization header: empty or oversized token")
    candidates = [(raw, "plain")]
    try:
        decoded = base64.b64decode(raw, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = None
    # A token is printable non-whitespace ASCII; anything else decoded from Base64 was not meant as Base64.
    if decoded and decoded != raw and all(0x21 <= ord(c) <= 0x7E for c in decoded):
        candidates.append((decoded, "base64"))
    return candidates


class OcpiTokenAuthentication(BaseAuthentication):
    """DRF authentication class for every OCPI view; sets ``request.user`` to an ``OcpiCaller``."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if not header:
            raise Unauthorized("Missing Authorization header: send 'Authorization: Token <base64 token>'")
        caller = credentials_backend().authenticate(token_candidates(header))
        if caller is None:
            raise Unauthorized("Unknown or revoked credentials token")
        request._request.ocpi_caller = caller  # the middleware logs traffic per partner
        return caller, caller

    def authenticate_header(self, request):
        return "Token"
