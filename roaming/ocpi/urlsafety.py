"""Which partner-supplied URLs the outbound client may fetch (SSRF protection).

A partner chooses the URLs we call (its versions URL, the endpoints in its version details, Link headers,
redirects). Left unchecked, a hostile partner could make us call our own internal services with a token attached.

* Only ``http`` and ``https``.
* With ``OCPI_REFUSE_PRIVATE_ADDRESSES`` (set it in production; off by default because development and the test
  suite run partners on loopback) a host that resolves to a private, loopback, link-local or otherwise non-global
  address is refused. The check resolves the name just before the call; a DNS answer that changes between the check
  and the connection (rebinding) is not covered: put an egress proxy in front if that matters to you.
* Redirects and Link headers are followed only to the same origin (``same_origin``).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeUrl(ValueError):
    """A URL the client refuses to fetch."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port (RFC 6454), default ports made explicit."""
    origin_a = _origin(a)
    return bool(origin_a[1]) and origin_a == _origin(b)


def check_url(url: str) -> None:
    """Raise ``UnsafeUrl`` for a URL the client must not fetch."""
    scheme, host, port = _origin(url)
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl(f"only http and https URLs are fetched, not '{scheme or url}'")
    if not host:
        raise UnsafeUrl("the URL names no host")
    if port is None:
        raise UnsafeUrl("the URL's port is not a number between 0 and 65535")
    if not getattr(settings, "OCPI_REFUSE_PRIVATE_ADDRESSES", False):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        return  # unresolvable: the call itself fails as a connection error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise UnsafeUrl(f"{host} resolves to a private or loopback address (OCPI_REFUSE_PRIVATE_ADDRESSES)")
