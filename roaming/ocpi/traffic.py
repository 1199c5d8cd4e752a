"""Writing the traffic log (see ``roaming.ocpi.models.TrafficLog``)."""

import contextlib
import json
import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.ocpi.metrics import observe_ocpi_call
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.renderers import loads

logger = logging.getLogger("roaming.ocpi.traffic")

_REDACTED_HEADERS = {"authorization", "cookie"}


def cut(body: bytes | str | None) -> str:
    if not body:
        return ""
    limit = settings.OCPI_TRAFFIC_LOG_BODY_LIMIT
    if isinstance(body, bytes):
        # Decode only what can be kept (a UTF-8 character is at most 4 bytes): a page of 1,000 locations is ~2 MB.
        text = body[: limit * 4].decode("utf-8", errors="replace")
        if len(body) <= limit:
            return text
        return f"{text[:limit]}... [{len(body) - len(text[:limit].encode())} more bytes cut]"
    return body if len(body) <= limit else f"{body[:limit]}... [{len(body) - limit} more characters cut]"


# A Credentials object's token (credentials.asciidoc): token B or C in clear, in requests and replies both ways.
_CREDENTIALS_TOKEN = re.compile(r'("token"\s*:\s*")((?:[^"\\]|\\.)*)(")')
CREDENTIALS_MODULE = "credentials"


def redact_credentials(body: str) -> str:
    """Replace the value of every ``"token"`` member of a credentials body with ``<redacted>`` (the body may be cut
    or not even JSON: a regular expression, not a parser)."""
    return _CREDENTIALS_TOKEN.sub(r"\1<redacted>\3", body) if body else body


def _text(body: bytes | str | None) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body or ""


def redact_headers(headers) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        out[key] = "<redacted>" if key.lower() in _REDACTED_HEADERS else str(value)[:500]
    return out


_STATUS_CODE = re.compile(rb'"status_code"\s*:\s*(\d+)')
_STATUS_MESSAGE = re.compile(rb'"status_message"\s*:\s*"((?:[^"\\]|\\.)*)"')
_FULL_PARSE_LIMIT = 65_536


def ocpi_status_of(body: bytes | str | None) -> tuple[int | None, str]:
    """Read status_code / status_message from an envelope body without failing on garbage.

    A large body (a page of locations) is not parsed whole to find two fields: the envelope's own keys sit at its
    end (ours) or its start (some partners'), so those windows are searched.
    """
    if not body:
        return None, ""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > _FULL_PARSE_LIMIT:
        for window in (raw[-4096:], raw[:4096]):
            code = _STATUS_CODE.search(window)
            if code:
                message = _STATUS_MESSAGE.search(window)
                text = ""
                if message:
                    with contextlib.suppress(ValueError):
                        text = json.loads(b'"' + message.group(1) + b'"')
                return int(code.group(1)), str(text)[:2000]
        return None, ""
    try:
        parsed = loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, ""
    if isinstance(parsed, dict) and isinstance(parsed.get("status_code"), int):
        return parsed["status_code"], str(parsed.get("status_message") or "")[:2000]
    return None, ""


def traffic_record(
    *,
    direction: str,
    method: str,
    url: str,
    partner_id: int | None = None,
    module: str = "",
    http_status: int | None = None,
    duration_ms: int = 0,
    request_id: str = "",
    correlation_id: str = "",
    request_headers=None,
    request_body=None,
    response_body=None,
    error: str = "",
) -> TrafficLog | None:
    """Store one exchange. Logging must never break the call it logs, so failures are only reported."""
    observe_ocpi_call(
        direction=direction, module=module, method=method, http_status=http_status, seconds=duration_ms / 1000
    )
    if not settings.OCPI_TRAFFIC_LOG_ENABLED:
        return None
    ocpi_status, status_message = ocpi_status_of(response_body)
    if module == CREDENTIALS_MODULE:
        # Redacted before cutting: a token cut in half would no longer match.
        request_body, response_body = redact_credentials(_text(request_body)), redact_credentials(_text(response_body))
    request_text, response_text = cut(request_body), cut(response_body)
    try:
        # A savepoint: a failed insert must not poison a transaction the caller may be in.
        with transaction.atomic():
            return TrafficLog.objects.create(
                direction=direction,
                partner_id=partner_id,
                module=module or "",
                method=method.upper()[:8],  # any token is a valid HTTP method; the column holds the usual ones
                url=url[:4000],
                http_status=http_status,
                ocpi_status=ocpi_status,
                status_message=status_message,
                duration_ms=max(0, int(duration_ms)),
                request_id=(request_id or "")[:100],
                correlation_id=(correlation_id or "")[:100],
                request_headers=redact_headers(request_headers or {}),
                request_body=request_text,
                response_body=response_text,
                error=error[:4000],
            )
    except Exception:
        logger.exception("could not write the traffic log for %s %s", method, url)
        return None


def traffic_prune(*, older_than_days: int | None = None) -> int:
    """Delete entries older than the retention; returns how many were deleted."""
    days = settings.OCPI_TRAFFIC_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _ = TrafficLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
