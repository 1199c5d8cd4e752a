"""Pagination of every OCPI list endpoint (transport_and_format.asciidoc, Pagination).

Query: ``offset`` (default 0), ``limit`` (clamped to the server maximum), ``date_from`` (``last_updated >=``,
inclusive) and ``date_to`` (``last_updated <``, exclusive). Response headers: ``X-Total-Count`` (matching objects,
offset/limit ignored), ``X-Limit`` (the server's maximum page size) and ``Link: <next>; rel="next"`` unless this is
the last page; the next URL repeats every original filter with the effective limit.

Ordering must be stable so pages do not shift while a partner crawls: we order by primary key (creation order),
which also lets PostgreSQL walk the index instead of sorting.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet

from roaming.ocpi.datetimes import format_datetime, parse_datetime
from roaming.ocpi.exceptions import InvalidParameters

MAX_OFFSET = 2**62  # leaves room for offset + limit inside a bigint


@dataclass
class PageParams:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None
    max_limit: int


def _int_param(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameters(f"{name}: '{raw[:40]}' is not an integer")
    if value < 0:
        raise InvalidParameters(f"{name}: must not be negative")
    if value > MAX_OFFSET:
        # PostgreSQL's OFFSET/LIMIT are bigint: a larger value would crash the query instead of answering.
        raise InvalidParameters(f"{name}: must not exceed {MAX_OFFSET}")
    return value


def _date_param(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_datetime(raw)
    except ValueError as exc:
        raise InvalidParameters(f"{name}: {exc}")


def page_params(request, *, max_limit: int | None = None, date_from_required: bool = False) -> PageParams:
    max_limit = max_limit or settings.OCPI_PAGE_LIMIT_MAX
    default_limit = min(settings.OCPI_PAGE_LIMIT_DEFAULT, max_limit)
    params = PageParams(
        offset=_int_param(request, "offset", 0),
        limit=min(_int_param(request, "limit", default_limit), max_limit),
        date_from=_date_param(request, "date_from"),
        date_to=_date_param(request, "date_to"),
        max_limit=max_limit,
    )
    if date_from_required and params.date_from is None:
        raise InvalidParameters("date_from: this parameter is required")
    return params


def _link_datetime(value: datetime) -> str:
    """The window bound as the partner sent it: cut to whole seconds, a fractional ``date_from`` would widen the
    window (and shift every offset) on the following pages."""
    text = format_datetime(value)
    if value.microsecond:
        text = f"{text[:-1]}.{value.microsecond:06d}".rstrip("0") + "Z"
    return text


@dataclass
class Page:
    items: list
    total: int
    headers: dict[str, str]


def paginate(
    request,
    queryset: QuerySet,
    *,
    date_field: str = "last_updated",
    ordering: tuple[str, ...] = ("pk",),
    max_limit: int | None = None,
    date_from_required: bool = False,
) -> Page:
    """Filter, count and slice ``queryset``; return the items and the three pagination headers."""
    params = page_params(request, max_limit=max_limit, date_from_required=date_from_required)
    if params.date_from is not None:
        queryset = queryset.filter(**{f"{date_field}__gte": params.date_from})
    if params.date_to is not None:
        queryset = queryset.filter(**{f"{date_field}__lt": params.date_to})
    queryset = queryset.order_by(*ordering)
    total = queryset.count()
    items = list(queryset[params.offset : params.offset + params.limit]) if params.limit else []
    headers = {"X-Total-Count": str(total), "X-Limit": str(params.max_limit)}
    next_offset = params.offset + len(items)
    if items and next_offset < total:
        query = {"offset": next_offset, "limit": params.limit}
        if params.date_from is not None:
            query["date_from"] = _link_datetime(params.date_from)
        if params.date_to is not None:
            query["date_to"] = _link_datetime(params.date_to)
        # Keep any other filters the partner sent (e.g. 2.2.1 tokens ?type=...), every value of a repeated one.
        for key, values in request.query_params.lists():
            if key not in ("offset", "limit", "date_from", "date_to"):
                query[key] = values
        # Built on OCPI_BASE_URL, as our versions URLs are: behind a TLS proxy the request's own scheme/host is not
        # what partners reach us at.
        next_url = f"{settings.OCPI_BASE_URL}{request.path_info}?{urlencode(query, doseq=True)}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    return Page(items=items, total=total, headers=headers)
