"""OCPI errors and the one exception handler attached to OCPI views (status_codes.asciidoc).

The mapping from exception class to (HTTP status, OCPI status) lives here and nowhere else. Rules applied:

* body that is not JSON -> HTTP 400 (the transport layer never reached OCPI), OCPI 2001;
* missing/unknown token, or token A outside versions/credentials -> HTTP 401, OCPI 2000;
* a request that reached the OCPI layer gets no HTTP error: invalid content is HTTP 200 with OCPI 2001
  ("If a request is syntactically valid JSON and addresses an existing resource ... an HTTP error status code
  MUST NOT be returned");
* an object that does not exist -> HTTP 404 (the spec's SHOULD for GET; for PUT/PATCH on an unknown child the
  addressed resource does not exist either), OCPI 2003 for a Location, 2004 for a Token, 2000 otherwise;
* credentials POST when registered / PUT, DELETE when not -> HTTP 405 (the credentials view raises
  ``MethodNotAllowed`` itself); any other domain conflict is a client error, HTTP 200, OCPI 2000;
* anything unexpected -> HTTP 500, OCPI 3000, logged with its traceback, never Django's HTML page.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions

from roaming.core.exceptions import (
    DomainError,
    EndpointsMissing,
    InvalidInput,
    ObjectNotFound,
    PartnerUnreachable,
    StateConflict,
    VersionMismatch,
)
from roaming.ocpi.envelope import ocpi_response
from roaming.ocpi.status import OcpiStatus

logger = logging.getLogger("roaming.ocpi")


class OcpiError(Exception):
    """Base of every error an OCPI view answers with a non-success envelope."""

    http_status = 200
    status_code = OcpiStatus.CLIENT_ERROR
    default_message = "Generic client error"

    def __init__(self, message: str | None = None, *, data=None):
        self.message = message or self.default_message
        self.data = data
        super().__init__(self.message)


class InvalidParameters(OcpiError):
    status_code = OcpiStatus.INVALID_PARAMETERS
    default_message = "Invalid or missing parameters"


class MalformedJSON(OcpiError):
    http_status = 400
    status_code = OcpiStatus.INVALID_PARAMETERS
    default_message = "The request body is not valid JSON"


class NotEnoughInformation(OcpiError):
    status_code = OcpiStatus.NOT_ENOUGH_INFORMATION
    default_message = "Not enough information"


class NotFound(OcpiError):
    http_status = 404
    status_code = OcpiStatus.CLIENT_ERROR
    default_message = "Object not found"


class UnknownLocation(NotFound):
    status_code = OcpiStatus.UNKNOWN_LOCATION
    default_message = "Unknown Location"


class UnknownToken(NotFound):
    status_code = OcpiStatus.UNKNOWN_TOKEN
    default_message = "Unknown Token"


class NotYourParty(NotFound):
    """A partner addressing a country_code/party_id that is none of its roles: 404, as the spec allows."""

    status_code = OcpiStatus.INVALID_PARAMETERS
    default_message = "country_code/party_id is not one of your registered roles"


class Unauthorized(OcpiError):
    http_status = 401
    status_code = OcpiStatus.CLIENT_ERROR
    default_message = "Unauthorized"


class MethodNotAllowed(OcpiError):
    http_status = 405
    status_code = OcpiStatus.CLIENT_ERROR
    default_message = "Method not allowed"


class ServerError(OcpiError):
    http_status = 500
    status_code = OcpiStatus.SERVER_ERROR
    default_message = "Generic server error"


class UnableToUseClientApi(OcpiError):
    status_code = OcpiStatus.UNABLE_TO_USE_CLIENT_API
    default_message = "Unable to use the client's API"


class UnsupportedVersion(OcpiError):
    status_code = OcpiStatus.UNSUPPORTED_VERSION
    default_message = "Unsupported version"


class NoMatchingEndpoints(OcpiError):
    status_code = OcpiStatus.NO_MATCHING_ENDPOINTS
    default_message = "No matching endpoints"


def flatten_errors(detail, prefix: str = "") -> list[str]:
    """Turn DRF's nested error detail into ``evses[0].connectors[1].max_voltage: This field is required.``."""
    messages: list[str] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                name = prefix
            elif isinstance(key, int):  # DRF >= 3.15 reports list items as {index: errors}
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            messages.extend(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            for item in detail:
                messages.append(f"{prefix}: {item}" if prefix else str(item))
        else:
            for index, item in enumerate(detail):
                if item:
                    messages.extend(flatten_errors(item, f"{prefix}[{index}]"))
    elif detail:
        messages.append(f"{prefix}: {detail}" if prefix else str(detail))
    return messages


def _django_validation_messages(exc: DjangoValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {msg}" for field, errors in exc.message_dict.items() for msg in errors]
    return list(exc.messages)


def to_ocpi_error(exc: Exception) -> OcpiError | None:
    """Map any exception raised in an OCPI view to the OcpiError to answer with (None: unexpected)."""
    if isinstance(exc, OcpiError):
        return exc
    if isinstance(exc, drf_exceptions.ParseError):
        return MalformedJSON(f"The request body is not valid JSON: {exc.detail}")
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        return MalformedJSON(f"Unsupported Content-Type: {exc.detail}; send application/json")
    if isinstance(exc, drf_exceptions.ValidationError):
        return InvalidParameters("; ".join(flatten_errors(exc.detail)) or "Invalid or missing parameters")
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        return Unauthorized(str(exc.detail))
    if isinstance(exc, drf_exceptions.PermissionDenied | PermissionDenied):
        return Unauthorized(str(getattr(exc, "detail", exc)) or "Not allowed")
    if isinstance(exc, drf_exceptions.MethodNotAllowed):
        return MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf_exceptions.NotFound | Http404):
        return NotFound(str(getattr(exc, "detail", "")) or "Not found")
    if isinstance(exc, DjangoValidationError):
        return InvalidParameters("; ".join(_django_validation_messages(exc)))
    if isinstance(exc, ObjectNotFound):
        return NotFound(exc.message)
    if isinstance(exc, InvalidInput):
        return InvalidParameters(f"{exc.field}: {exc.message}" if exc.field else exc.message)
    if isinstance(exc, StateConflict):
        return OcpiError(exc.message)
    if isinstance(exc, PartnerUnreachable):
        return UnableToUseClientApi(exc.message)
    if isinstance(exc, VersionMismatch):
        return UnsupportedVersion(exc.message)
    if isinstance(exc, EndpointsMissing):
        return NoMatchingEndpoints(exc.message)
    if isinstance(exc, DomainError):
        return OcpiError(exc.message)
    return None


def ocpi_exception_handler(exc: Exception, context: dict):
    """DRF exception handler for OCPI views only (the admin and internal API keep DRF's conventions)."""
    error = to_ocpi_error(exc)
    request = context.get("request")
    where = f"{request.method} {request.path}" if request is not None else "?"
    if error is None:
        logger.exception("Unexpected error answering %s", where, exc_info=exc)
        error = ServerError("Generic server error; the incident was logged")
    elif error.http_status >= 500:
        logger.error("OCPI %s answered %s/%s: %s", where, error.http_status, error.status_code, error.message)
    else:
        # Partners' bad input is logged (and kept in the traffic log) so integrators can see what was refused.
        logger.warning("OCPI %s refused %s/%s: %s", where, error.http_status, error.status_code, error.message)
    headers = {"WWW-Authenticate": "Token"} if error.http_status == 401 else None
    return ocpi_response(
        error.data,
        status_code=error.status_code,
        status_message=error.message,
        http_status=error.http_status,
        headers=headers,
    )
