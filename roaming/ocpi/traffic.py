"""Writing the traffic log (see ``roaming.ocpi.models.TrafficLog``)."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.ocpi.models import TrafficLog
from roaming.ocpi.renderers import loads

logger = logging.getLogger("roaming.ocpi.traffic")

_REDACTED_HEADERS = {"authorization", "cookie"}


def cut(body: bytes | str | None) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    limit = settings.OCPI_TRAFFIC_LOG_BODY_LIMIT
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text) - limit} more characters cut]"


def redact_headers(headers) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        out[key] = "<redacted>" if key.lower() in _REDACTED_HEADERS else str(value)[:500]
    return out


def ocpi_status_of(body: bytes | str | None) -> tuple[int | None, str]:
    """Read status_code / status_message from an envelope body without failing on garbage."""
    if not body:
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
    if not settings.OCPI_TRAFFIC_LOG_ENABLED:
        return None
    ocpi_status, status_message = ocpi_status_of(response_body)
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
                request_body=cut(request_body),
                response_body=cut(response_body),
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
