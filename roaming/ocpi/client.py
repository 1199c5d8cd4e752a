"""The outbound OCPI client: the only code that talks HTTP to partners (transport_and_format.asciidoc).

* one ``requests.Session`` per partner (connection reuse), with timeouts;
* retries with exponential backoff on connection errors, and on 5xx for idempotent methods (a POST is not
  repeated after the partner may have processed it);
* ``Authorization: Token <base64>`` on 2.2.1, or the plain token for partners that want it;
* X-Request-ID / X-Correlation-ID on every call, routing headers for functional modules;
* the envelope unwrapped: an OCPI ``status_code`` outside 1xxx is an error even with HTTP 200;
* redirects: 307/308 followed to the same origin keeping method, body and ``Authorization`` (FastAPI-based peers
  answer 307 to add a trailing slash); 301/302/303 followed for GET only; a redirect to another origin is refused
  and logged, so a token never leaves for a host the partner did not register;
* partner-supplied URLs are fetched over http(s) only and, with ``OCPI_REFUSE_PRIVATE_ADDRESSES``, never reach a
  private or loopback address (SSRF; see ``roaming.ocpi.urlsafety``);
* ``iter_pages`` follows ``Link: <...>; rel="next"`` when it is usable and otherwise falls back to offset + limit,
  bounded by ``X-Total-Count`` (see ``roaming.ocpi.paging``);
* every exchange written to the traffic log; error messages never echo a body that is not an OCPI envelope or a
  JSON error (an HTML page from a proxy stays in the traffic log).
"""

import base64
import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util.retry import Retry

from roaming.ocpi.headers import CORRELATION_ID, REQUEST_ID, outbound_headers
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.paging import PageCursor, PagingError
from roaming.ocpi.profile import SPEC_TOKEN_TYPE_FIELD, from_partner, to_partner
from roaming.ocpi.renderers import dumps, loads
from roaming.ocpi.status import CONFIGURATION_MODULES, is_success
from roaming.ocpi.traffic import traffic_record
from roaming.ocpi.urlsafety import UnsafeUrl, check_url, same_origin

logger = logging.getLogger("roaming.ocpi.client")

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: 307/308 keep the method and body (RFC 9110 15.4.8/15.4.9): safe to follow for any method.
METHOD_KEEPING_REDIRECTS = frozenset({307, 308})
#: 301/302/303 may turn a POST into a GET: followed for GET/HEAD only.
GET_ONLY_REDIRECTS = frozenset({301, 302, 303})
MAX_REDIRECTS = 5


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


def describe_transport_error(exc: Exception, url: str) -> str:
    """A transport failure in plain words ("connection refused by 127.0.0.1:9") instead of the connection library's
    "HTTPConnectionPool(host=..., port=...): Max retries exceeded ... NewConnectionError(...)"."""
    parts = urlsplit(url)
    where = parts.netloc or url
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"{where} did not accept a connection in time (timeout)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"{where} accepted the connection but did not answer in time (timeout)"
    if isinstance(exc, requests.exceptions.SSLError):
        reason = "its certificate is not trusted" if "CERTIFICATE_VERIFY_FAILED" in text else "the TLS handshake failed"
        return f"could not open a secure connection to {where}: {reason}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "Read timed out" in text or "ReadTimeout" in text:  # urllib3's retries wrap a read timeout this way
            return f"{where} accepted the connection but did not answer in time (timeout)"
        if "timed out" in text:
            return f"{where} did not accept a connection in time (timeout)"
        if "Connection refused" in text:
            return f"connection refused by {where} (nothing listens there, or a firewall refuses)"
        if any(s in text for s in ("Name or service not known", "getaddrinfo failed", "NameResolutionError")):
            return f"the host name {parts.hostname} does not resolve (DNS)"
        if "Network is unreachable" in text or "No route to host" in text:
            return f"{where} is unreachable from here (network)"
        if "RemoteDisconnected" in text or "Connection aborted" in text or "reset by peer" in text:
            return f"{where} closed the connection without answering"
        return f"could not connect to {where}"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return f"'{url}' is not a usable URL"
    return f"the request to {where} failed ({type(exc).__name__})"


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
    #: set by ``iter_pages``: the URL it will fetch next (Link or offset fallback), None on the last page
    following: str | None = None

    @property
    def object(self) -> Any:
        """``data`` where one object is expected. Partner quirk: some wrap a single object in a one-element list
        (py-ocpi does on every GET of one object)."""
        if isinstance(self.data, list) and len(self.data) == 1 and isinstance(self.data[0], dict):
            return self.data[0]
        return self.data

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


def _error_text(payload: Any, response: requests.Response) -> str:
    """What a non-envelope error says, from its JSON (FastAPI's ``{"detail": ...}``, 422's list of
    ``{loc, msg}``, ``message``/``error``); never the raw body, which may be a proxy's internal page."""
    if isinstance(payload, dict):
        detail = next((payload[k] for k in ("detail", "message", "error") if payload.get(k)), None)
        if isinstance(detail, list):
            parts = []
            for item in detail[:5]:
                if isinstance(item, dict):
                    where = ".".join(str(p) for p in item.get("loc") or [] if p != "body")
                    parts.append(f"{where}: {item.get('msg', '')}" if where else str(item.get("msg", "")))
                else:
                    parts.append(str(item))
            return "; ".join(parts)[:300]
        if detail is not None:
            return str(detail)[:300]
    kind = response.headers.get("Content-Type", "unknown type").split(";")[0]
    return f"no OCPI envelope ({kind}, {len(response.content)} bytes; see the traffic log)"


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


@dataclass
class Ahead:
    """A GET sent ahead of being asked for (``OcpiClient.iter_pages``): its URL, headers and running exchange."""

    url: str
    headers: dict
    future: Future


_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _ahead_pool() -> ThreadPoolExecutor:
    """Threads for pages fetched ahead; made again in a forked child (a Celery worker), whose copy has none."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        _pool, _pool_pid = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ocpi-ahead"), os.getpid()
    return _pool


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
        token_type_field: str = SPEC_TOKEN_TYPE_FIELD,
    ):
        self.token = token
        self.token_type_field = token_type_field
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
        ahead: "Ahead | None" = None,
    ) -> OcpiResult:
        """Send one call, following same-origin redirects; return the unwrapped result or raise
        ``OcpiClientError``. ``ahead`` is this very call already under way (``_start_ahead``)."""
        method = method.upper()
        if ahead is not None:
            headers, body = ahead.headers, None
        else:
            headers, body = self._prepare(method, module=module, json=json, to_party=to_party)
        response = self._send(method, url, module=module, body=body, params=params, headers=headers, ahead=ahead)
        for _hop in range(MAX_REDIRECTS):
            location = response.headers.get("Location")
            if not location or not (
                response.status_code in METHOD_KEEPING_REDIRECTS
                or (response.status_code in GET_ONLY_REDIRECTS and method in ("GET", "HEAD"))
            ):
                break
            target = urljoin(response.url, location)
            if not same_origin(response.url, target):
                # A token must never leave for a host the partner did not register.
                logger.warning("OCPI %s %s: redirect to another origin %s refused", method, url, target)
                raise OcpiClientError(
                    f"{method} {url} answered HTTP {response.status_code} redirecting to another origin ({target}): "
                    "refused, the partner must publish the URL it wants us to call",
                    http_status=response.status_code,
                )
            # The Location carries the whole query: parameters are not sent twice.
            response = self._send(method, target, module=module, body=body, params=None, headers=headers)
        result = self._unwrap(method, url, response, raise_for_status)
        result.data = from_partner(result.data, module=module, token_type_field=self.token_type_field)
        return result

    def _prepare(
        self, method: str, *, module: str, json: Any = None, to_party: tuple[str, str] | None = None
    ) -> tuple[dict, bytes | None]:
        """The headers and body of one call."""
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
            body = dumps(to_partner(json, module=module, token_type_field=self.token_type_field))
            headers["Content-Type"] = "application/json"
        return headers, body

    def _exchange(
        self, method: str, url: str, *, body: bytes | None, params: dict | None, headers: dict
    ) -> tuple[requests.Response | None, Exception | None, int]:
        """The HTTP part of one exchange (retries inside): (response or None, transport failure, milliseconds).
        Touches no database, so it may run in a thread (``_start_ahead``)."""
        try:
            check_url(url)
        except UnsafeUrl as exc:
            logger.warning("OCPI %s %s refused: %s", method, url, exc)
            raise OcpiClientError(f"{method} {url} refused: {exc}") from exc
        started = time.monotonic()
        try:
            response = self.session.request(
                method, url, data=body, params=params, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            return None, exc, int((time.monotonic() - started) * 1000)
        return response, None, int((time.monotonic() - started) * 1000)

    def _start_ahead(self, url: str, *, module: str) -> "Ahead":
        """Start ``GET url`` in a thread, to be finished (traffic log, envelope) by ``request(..., ahead=...)``."""
        headers, _ = self._prepare("GET", module=module)
        future = _ahead_pool().submit(self._exchange, "GET", url, body=None, params=None, headers=headers)
        return Ahead(url=url, headers=headers, future=future)

    def _send(
        self,
        method: str,
        url: str,
        *,
        module: str,
        body: bytes | None,
        params: dict | None,
        headers: dict,
        ahead: "Ahead | None" = None,
    ) -> requests.Response:
        """One HTTP exchange (retries inside), written to the traffic log."""
        if ahead is not None:
            response, failure, duration_ms = ahead.future.result()
        else:
            response, failure, duration_ms = self._exchange(method, url, body=body, params=params, headers=headers)
        error = f"{type(failure).__name__}: {failure}" if failure is not None else ""
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
            # Staff read this message (partner page, pushes); the library's own text stays in the traffic log.
            raise OcpiConnectionError(f"{method} {url} failed: {describe_transport_error(failure, url)}")
        return response

    def _unwrap(self, method: str, url: str, response: requests.Response, raise_for_status: bool) -> OcpiResult:
        payload = None
        if response.content:
            try:
                payload = loads(response.content)
            except (ValueError, UnicodeDecodeError):
                payload = None
        envelope_ok = isinstance(payload, dict) and "status_code" in payload
        status_code = None
        if envelope_ok:
            try:  # lenient: "1000" as a string
                status_code = int(payload.get("status_code"))
            except (TypeError, ValueError):
                status_code = None
        result = OcpiResult(
            http_status=response.status_code,
            status_code=status_code,
            status_message=str(payload.get("status_message") or "") if envelope_ok else "",
            data=payload.get("data") if envelope_ok else None,
            # Header names are case-insensitive (RFC 9110): uvicorn sends "x-total-count" and "link".
            headers=CaseInsensitiveDict(response.headers),
            timestamp=payload.get("timestamp") if envelope_ok else None,
        )
        if not raise_for_status:
            return result
        # HTTP 200 with an OCPI status outside 1xxx is a failure: some peers answer every error with HTTP 200.
        if response.status_code >= 400 or (envelope_ok and not is_success(status_code)):
            detail = result.status_message if envelope_ok else _error_text(payload, response)
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
        """Yield each page of a paginated list (transport_and_format.asciidoc, Pagination).

        ``Link: rel="next"`` is followed when it is usable; when it is missing, unparsable, on another origin or
        drops our filters, the next page is asked by offset + limit while ``X-Total-Count`` says more remain.
        Each yielded page carries ``following``, the URL fetched next (what a resumed pull starts from).
        The next page's request is sent while the caller handles this one (a pull's ingest of a page takes about
        as long as the partner's answer to the next): only the HTTP exchange runs in a thread, its traffic log
        entry and envelope are handled here, in order, as if it had been sent when asked for.
        """
        cursor = PageCursor.start(url, params)
        next_url: str | None = cursor.first_url()
        ahead: Ahead | None = None
        try:
            while next_url:
                started, ahead = ahead, None  # handled (and logged) by this call, whatever it raises
                result = self.get(next_url, module=module, ahead=started)
                items = result.data if isinstance(result.data, list) else ([result.data] if result.data else [])
                failure = None
                try:
                    result.following = cursor.advance(
                        fetched=next_url, received=len(items), link=result.next_url, total=result.total_count
                    )
                except PagingError as exc:
                    failure = exc
                if failure is None and result.following:
                    ahead = self._start_ahead(result.following, module=module)
                yield result  # what was received is handed over before the failure is raised
                if failure is not None:
                    raise OcpiClientError(str(failure), response=result) from failure
                next_url = result.following
        finally:
            if ahead is not None:
                # The caller stopped (or failed) while the next page was on its way: log the exchange all the same.
                with contextlib.suppress(OcpiClientError):
                    self._send(
                        "GET", ahead.url, module=module, body=None, params=None, headers=ahead.headers, ahead=ahead
                    )

    def iterate(self, url: str, *, params: dict | None = None, module: str = "") -> Iterator[Any]:
        """Yield every object of a paginated list across all pages."""
        for page in self.iter_pages(url, params=params, module=module):
            yield from page.data or []
