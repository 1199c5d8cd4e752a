"""Request/correlation IDs and message-routing headers (transport_and_format.asciidoc, Request headers).

Every request carries ``X-Request-ID`` and ``X-Correlation-ID``; responses echo both. 2.2.1 routing headers
(``OCPI-to-country-code`` ...) are parsed when present and never required: most direct peers omit them.
"""

import uuid
from dataclasses import dataclass

REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"
FROM_COUNTRY_CODE = "OCPI-from-country-code"
FROM_PARTY_ID = "OCPI-from-party-id"
TO_COUNTRY_CODE = "OCPI-to-country-code"
TO_PARTY_ID = "OCPI-to-party-id"


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass
class OcpiRequestContext:
    """What the middleware read from an inbound OCPI request, available to views as ``request.ocpi``."""

    request_id: str
    correlation_id: str
    from_country_code: str | None = None
    from_party_id: str | None = None
    to_country_code: str | None = None
    to_party_id: str | None = None
    module: str = ""

    @classmethod
    def from_headers(cls, headers) -> "OcpiRequestContext":
        def upper(name):
            value = headers.get(name)
            return value.strip().upper() if value and value.strip() else None

        return cls(
            request_id=(headers.get(REQUEST_ID) or "").strip()[:100] or new_request_id(),
            correlation_id=(headers.get(CORRELATION_ID) or "").strip()[:100] or new_request_id(),
            from_country_code=upper(FROM_COUNTRY_CODE),
            from_party_id=upper(FROM_PARTY_ID),
            to_country_code=upper(TO_COUNTRY_CODE),
            to_party_id=upper(TO_PARTY_ID),
        )

    def response_routing_headers(self, own_country_code: str, own_party_id: str) -> dict[str, str]:
        """The response swaps the request's FROM and TO (party-to-party routing table)."""
        headers = {
            FROM_COUNTRY_CODE: self.to_country_code or own_country_code,
            FROM_PARTY_ID: self.to_party_id or own_party_id,
        }
        if self.from_country_code and self.from_party_id:
            headers[TO_COUNTRY_CODE] = self.from_country_code
            headers[TO_PARTY_ID] = self.from_party_id
        return headers


def outbound_headers(
    *,
    request_id: str | None = None,
    correlation_id: str | None = None,
    from_party: tuple[str, str] | None = None,
    to_party: tuple[str, str] | None = None,
) -> dict[str, str]:
    headers = {REQUEST_ID: request_id or new_request_id(), CORRELATION_ID: correlation_id or new_request_id()}
    if from_party:
        headers[FROM_COUNTRY_CODE], headers[FROM_PARTY_ID] = from_party
    if to_party:
        headers[TO_COUNTRY_CODE], headers[TO_PARTY_ID] = to_party
    return headers
