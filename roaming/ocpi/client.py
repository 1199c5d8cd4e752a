"""The outbound OCPI client: the only code that talks HTTP to partners (transport_and_format.asciidoc).

* one ``requests.Session`` per partner (connection reuse), with timeouts;
* retries with exponential backoff on connection errors, and on 5xx for idempotent methods (a POST is not
  repeated after the partner may have processed it);
* ``Authorization: Token <base64>`` on 2.2.1, or the plain token for partners that want it;
* X-Request-ID / X-Correlation-ID on every call, routing headers for functional modules;
* the envelope unwrapped: an OCPI ``status_code`` outside 1xxx is an error even with HTTP 200;
* ``iterate`` follows ``Link: <...>; rel="next"`` through every page;
* every exchange written to the traffic log.
"""

import base64
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from roaming.ocpi.headers import CORRELATION_ID, REQUEST_ID, outbound_headers
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.renderers import dumps, loads
from roaming.ocpi.status import CONFIGURATION_MODULES, is_success
from roaming.ocpi.traffic import traffic_record

logger = logging.getLogger("roaming.ocpi.client")

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


class OcpiClientError(Exception):
    """A call to a partner failed. ``transient`` says whether retrying later may help."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        ocpi_status: int | None = None,
        transient: bool = False,
        response: "OcpiResult | None" = None,
    ):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.ocpi_status = ocpi_status
        self.transient = transient
        self.response = response


class OcpiConnectionError(OcpiClientError):
    """No usable HTTP answer: refused, timed out, DNS, TLS. Always transient."""

    def __init__(self, message: str):
        super().__init__(message, transient=True)


@dataclass
class OcpiResult:
    """An unwrapped OCPI response."""

    http_status: int
    status_code: int | None
    status_message: str
    data: Any
    headers: dict = field(default_factory=dict)
    timestamp: str | None = None

    @property
    def next_url(self) -> str | None:
        match = _LINK_NEXT.search(self.headers.get("Link", "") or "")
        return match.group(1) if match else None

    @property
    def total_count(self) -> int | None:
        try:
            return int(self.headers.get("X-Total-Count"))
        except (TypeError, ValueError):
            return None


def encode_token(token: str, encoding: str = "base64") -> str:
    if encoding == "plain":
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def join_url(base: str, *parts: str) -> str:
    """Join with exactly one ``/`` (spec inconsistency: ``{endpoint_url}{param}`` written without a slash)."""
    url = base.rstrip("/")
    for part in parts:
        url = f"{url}/{str(part).strip('/')}"
    return url


def _session(retries: int, backoff: float) -> requests.Session:
    session = requests.Session()
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=IDEMPOTENT_METHODS,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class OcpiClient:
    """Calls one partner with the token it issued us.

    ``own_party`` / ``partner_party`` feed the routing headers (sent on functional modules only).
    """

    _sessions: dict[Any, requests.Session] = {}

    def __init__(
        self,
        token: str,
        *,
        partner_id: int | None = None,
        token_encoding: str = "base64",
        own_party: tuple[str, str] | None = None,
        partner_party: tuple[str, str] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        correlation_id: str | None = None,
    ):
        self.token = token
        self.partner_id = partner_id
        self.token_encoding = token_encoding
        self.own_party = own_party or (settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID)
        self.partner_party = partner_party
        self.timeout = settings.OCPI_CLIENT_TIMEOUT if timeout is None else timeout
        retries = settings.OCPI_CLIENT_RETRIES if retries is None else retries
        backoff = settings.OCPI_CLIENT_BACKOFF if backoff is None else backoff
        key = (partner_id, retries, backoff) if partner_id is not None else None
        if key is None:
            self.session = _session(retries, backoff)
        else:
            if key not in self._sessions:
                self._sessions[key] = _session(retries, backoff)
            self.session = self._sessions[key]
        self.correlation_id = correlation_id

    def request(
        self,
        method: str,
        url: str,
        *,
        module: str = "",
        json: Any = None,
        params: dict | None = None,
        to_party: tuple[str, str] | None = None,
        raise_for_status: bool = True,
    ) -> OcpiResult:
        """Send one call; return the unwrapped result or raise ``OcpiClientError``."""
        method = method.upper()
        functional = bool(module) and module not in CONFIGURATION_MODULES
        headers = outbound_headers(
            correlation_id=self.correlation_id,
            from_party=self.own_party if functional else None,
            to_party=(to_party or self.partner_party) if functional else None,
        )
        headers["Authorization"] = encode_token(self.token, self.token_encoding)
        headers["Accept"] = "application/json"
        body = None
        if json is not None:
            body = dumps(json)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        response = None
        error = ""
        try:
            response = self.session.request(
                method, url, data=body, params=params, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration_ms = int((time.monotonic() - started) * 1000)
        traffic_record(
            direction=TrafficLog.Direction.OUTBOUND,
            method=method,
            url=response.url if response is not None else url,
            partner_id=self.partner_id,
            module=module,
            http_status=response.status_code if response is not None else None,
            duration_ms=duration_ms,
            request_id=headers[REQUEST_ID],
            correlation_id=headers[CORRELATION_ID],
            request_headers=headers,
            request_body=body,
            response_body=response.content if response is not None else None,
            error=error,
        )
        if response is None:
            logger.warning("OCPI %s %s failed: %s", method, url, error)
            raise OcpiConnectionError(f"{method} {url} failed: {error}")
        return self._unwrap(method, url, response, raise_for_status)

    def _unwrap(self, method: str, url: str, response: requests.Response, raise_for_status: bool) -> OcpiResult:
        payload = None
        if response.content:
            try:
                payload = loads(response.content)
            except (ValueError, UnicodeDecodeError):
                payload = None
        envelope_ok = isinstance(payload, dict) and "status_code" in payload
        result = OcpiResult(
            http_status=response.status_code,
            status_code=payload.get("status_code") if envelope_ok else None,
            status_message=str(payload.get("status_message") or "") if envelope_ok else "",
            data=payload.get("data") if envelope_ok else None,
            headers=dict(response.headers),
            timestamp=payload.get("timestamp") if envelope_ok else None,
        )
        if not raise_for_status:
            return result
        if response.status_code >= 400 or (envelope_ok and not is_success(result.status_code)):
            detail = result.status_message or (response.text[:300] if not envelope_ok else "")
            raise OcpiClientError(
                f"{method} {url} answered HTTP {response.status_code}, OCPI {result.status_code}: {detail}".strip(),
                http_status=response.status_code,
                ocpi_status=result.status_code,
                transient=response.status_code >= 500 or response.status_code == 429,
                response=result,
            )
        if not envelope_ok:
            raise OcpiClientError(
                f"{method} {url} answered HTTP {response.status_code} without an OCPI envelope",
                http_status=response.status_code,
                transient=False,
                response=result,
            )
        return result

    def get(self, url: str, **kwargs) -> OcpiResult:
        return self.request("GET", url, **kwargs)

    def put(self, url: str, json: Any, **kwargs) -> OcpiResult:
        return self.request("PUT", url, json=json, **kwargs)

    def patch(self, url: str, json: Any, **kwargs) -> OcpiResult:
        return self.request("PATCH", url, json=json, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs) -> OcpiResult:
        return self.request("POST", url, json=json, **kwargs)

    def delete(self, url: str, **kwargs) -> OcpiResult:
        return self.request("DELETE", url, **kwargs)

    def iter_pages(self, url: str, *, params: dict | None = None, module: str = "") -> Iterator[OcpiResult]:
        """Yield each page of a paginated list, following ``Link: rel="next"`` until it is absent."""
        next_url: str | None = url
        next_params = params
        # The first URL counts too: a Link pointing back to it would yield the first page again.
        seen: set[str] = {requests.Request("GET", url, params=params).prepare().url}
        while next_url:
            result = self.get(next_url, params=next_params, module=module)
            yield result
            next_url, next_params = result.next_url, None  # the Link URL carries every parameter
            if next_url in seen:  # a broken server repeating its Link would loop forever
                raise OcpiClientError(f"pagination loop: {next_url} was already fetched")
            if next_url:
                seen.add(next_url)

    def iterate(self, url: str, *, params: dict | None = None, module: str = "") -> Iterator[Any]:
        """Yield every object of a paginated list across all pages."""
        for page in self.iter_pages(url, params=params, module=module):
            yield from page.data or []
