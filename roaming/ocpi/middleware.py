"""Inbound OCPI request handling that sits below the views (transport_and_format.asciidoc).

For every request under ``/ocpi/``: read or generate X-Request-ID / X-Correlation-ID and routing headers into
``request.ocpi``, echo the IDs on the response, and write the traffic log entry with the partner the
authentication resolved, the OCPI status, the duration and (bounded) bodies (a success is written in a batch within
a second, a refusal at once: ``roaming.ocpi.traffic``).

A body declared larger than ``OCPI_REQUEST_BODY_LIMIT`` bytes is refused here, before anything reads it: HTTP 413
with the envelope (OCPI 2001).
"""

import logging
import time

from django.conf import settings
from django.http import HttpResponse

from roaming.ocpi.envelope import envelope
from roaming.ocpi.headers import CORRELATION_ID, REQUEST_ID, OcpiRequestContext
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.renderers import dumps
from roaming.ocpi.status import OcpiStatus
from roaming.ocpi.traffic import traffic_record

logger = logging.getLogger("roaming.ocpi")


def _declared_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _too_large(length: int) -> HttpResponse:
    message = f"the request body ({length} bytes) exceeds the limit of {settings.OCPI_REQUEST_BODY_LIMIT} bytes"
    body = envelope(None, OcpiStatus.INVALID_PARAMETERS, message)
    return HttpResponse(dumps(body), status=413, content_type="application/json")


OCPI_PREFIX = "/ocpi/"


class OcpiRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(OCPI_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        context = OcpiRequestContext.from_headers(request.headers)
        request.ocpi = context
        length = _declared_length(request)
        if length > settings.OCPI_REQUEST_BODY_LIMIT:
            logger.warning("OCPI %s %s refused: body of %s bytes is too large", request.method, request.path, length)
            request_body, response = b"", _too_large(length)
        else:
            try:
                request_body = request.body  # read now: Django caches it, so the parser still sees it
            except Exception:  # RequestDataTooBig and friends: the view will answer; log without the body
                request_body = b""
            response = self.get_response(request)
        response[REQUEST_ID] = context.request_id
        response[CORRELATION_ID] = context.correlation_id
        caller = getattr(request, "ocpi_caller", None)
        traffic_record(
            direction=TrafficLog.Direction.INBOUND,
            method=request.method,
            url=request.build_absolute_uri(),
            partner_id=caller.partner_id if caller else None,
            module=context.module,
            http_status=response.status_code,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_id=context.request_id,
            correlation_id=context.correlation_id,
            request_headers=request.headers,
            request_body=request_body,
            response_body=getattr(response, "content", b"") if not response.streaming else b"",
            defer_success=True,
        )
        return response
