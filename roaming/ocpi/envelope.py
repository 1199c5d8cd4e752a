"""The OCPI response envelope (transport_and_format.asciidoc, Response format).

Every OCPI response body, errors included, is ``{data, status_code, status_message, timestamp}``.
"""

from typing import Any

from rest_framework.response import Response

from roaming.ocpi.datetimes import format_datetime, utcnow
from roaming.ocpi.status import OcpiStatus


def envelope(data: Any = None, status_code: int = OcpiStatus.SUCCESS, status_message: str | None = None) -> dict:
    body: dict[str, Any] = {}
    # Errata advise sending no ``data`` where the spec defines none (e.g. replies to pushes): omit null data.
    if data is not None:
        body["data"] = data
    body["status_code"] = int(status_code)
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(utcnow())
    return body


def ocpi_response(
    data: Any = None,
    *,
    status_code: int = OcpiStatus.SUCCESS,
    status_message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A DRF response whose body is the envelope."""
    return Response(envelope(data, status_code, status_message), status=http_status, headers=headers)
