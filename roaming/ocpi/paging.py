"""Client-side pagination (transport_and_format.asciidoc, Pagination), tolerant of senders' mistakes.

A sender should answer every page with ``X-Total-Count`` and, except on the last page, ``Link: <url>; rel="next"``
repeating our filters. Real ones send no Link, an empty Link on the last page, an unparsable one, one on another
host or scheme (py-ocpi hard-codes ``https://{OCPI_HOST}/ocpi/cpo/...``) or one that drops or mangles our filters
(py-ocpi sends ``date_from=None``). ``PageCursor`` decides the next URL: the Link when it is usable, otherwise our
own filters with ``offset`` = objects received so far, while ``X-Total-Count`` says more remain. It never asks the
same page twice (never loops) and never jumps past an object it has not received (never skips).
"""

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from roaming.ocpi.datetimes import parse_datetime
from roaming.ocpi.urlsafety import same_origin

logger = logging.getLogger("roaming.ocpi.client")

PAGING_KEYS = ("offset", "limit")


class PagingError(ValueError):
    """The sender's paging cannot be followed safely."""


def _to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _same_filter(key: str, ours: str, theirs: str | None) -> bool:
    if theirs is None:
        return False
    if ours == theirs:
        return True
    if key.startswith("date_"):  # "2024-01-01T00:00:00Z" and "2024-01-01T00:00:00+00:00" are the same filter
        try:
            return parse_datetime(ours) == parse_datetime(theirs)
        except ValueError:
            return False
    return False


@dataclass
class PageCursor:
    """Where a paginated GET stands: the list URL, our filters, and how many objects were received."""

    base: str
    filters: dict[str, str]
    offset: int = 0
    limit: str | None = None
    seen: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, url: str, params: dict | None) -> "PageCursor":
        """Begin at ``url`` (which may carry a query, e.g. a resumed run's saved URL) plus ``params``."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        query.update({k: str(v) for k, v in (params or {}).items() if v is not None})
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        offset = _to_int(query.pop("offset", None)) or 0
        limit = query.pop("limit", None)
        return cls(base=base, filters=query, offset=max(offset, 0), limit=limit)

    def url(self, offset: int | None = None) -> str:
        query = dict(self.filters)
        offset = self.offset if offset is None else offset
        if offset:
            query["offset"] = str(offset)
        if self.limit is not None:
            query["limit"] = self.limit
        return f"{self.base}?{urlencode(query)}" if query else self.base

    def first_url(self) -> str:
        return self.url()

    def advance(self, *, fetched: str, received: int, link: str | None, total: int | None) -> str | None:
        """Record a fetched page; return the URL of the next one, or None when the list is complete."""
        self.seen.add(fetched)
        self.offset += received
        if received == 0:
            return None  # an empty page ends the list, whatever the headers say
        if total is not None and self.offset >= total:
            return None  # the last page (a Link here, or an empty one, is ignored)
        problem = self._link_problem(link) if link else "no Link header"
        if problem is None:
            return link
        if total is None:
            if not link:
                return None  # neither Link nor X-Total-Count: the sender says nothing more remains
            raise PagingError(f"pagination: the Link header is unusable ({problem}) and there is no X-Total-Count")
        fallback = self.url()
        if fallback in self.seen:
            raise PagingError(f"pagination: {fallback} was already fetched")
        logger.info("pagination: %s; asking %s (offset %s of %s)", problem, fallback, self.offset, total)
        return fallback

    def _link_problem(self, link: str) -> str | None:
        """Why ``link`` must not be followed, or None when it is fine."""
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"unparsable Link {link!r}"
        if not same_origin(self.base, link):
            return f"Link {link} points to another origin"
        if parts.path.rstrip("/") != urlsplit(self.base).path.rstrip("/"):
            return f"Link {link} points to another path"
        if link in self.seen:
            return f"Link {link} was already fetched"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, ours in self.filters.items():
            if not _same_filter(key, ours, query.get(key)):
                return f"Link {link} changes the filter {key}"
        their_offset = query.get("offset")
        if their_offset is not None and _to_int(their_offset) != self.offset:
            return f"Link {link} asks offset {their_offset}, {self.offset} objects were received"
        return None
