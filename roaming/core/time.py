"""Time helpers with no protocol knowledge: the clock, UTC normalisation, IANA zones and the local wall-clock
boundaries that tariff restrictions are cut at (mod_tariffs.asciidoc, TariffRestrictions: times and dates are
local to ``Location.time_zone``). The OCPI DateTime wire format lives in ``roaming.ocpi.datetimes``."""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC


def utcnow() -> dt.datetime:
    """Now, aware, in UTC."""
    return dt.datetime.now(UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already (as OCPI reads a DateTime without zone)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@lru_cache(maxsize=256)
def get_zone(name: str) -> dt.tzinfo:
    """The IANA zone ``name`` (``UTC`` for empty); raises ``ValueError`` for unknown names."""
    if not name or name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _offset_at(zone: dt.tzinfo, timestamp: int) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(timestamp, zone).utcoffset()


def _offset_changes(zone: dt.tzinfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """UTC instants in (start, end) at which ``zone``'s UTC offset changes (DST transitions), to the second.

    Steps through the span in 6-hour strides (zones never change offset twice within 6 hours) and bisects on
    whole seconds, because tzdata transitions fall on whole seconds.
    """
    found: list[dt.datetime] = []
    lo_bound = math.floor(start.timestamp())
    hi_bound = math.ceil(end.timestamp())
    stride = 6 * 3600
    cursor = lo_bound
    while cursor < hi_bound:
        nxt = min(cursor + stride, hi_bound)
        before = _offset_at(zone, cursor)
        if before != _offset_at(zone, nxt):
            lo, hi = cursor, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_at(zone, mid) == before:
                    lo = mid
                else:
                    hi = mid
            instant = dt.datetime.fromtimestamp(hi, UTC)
            if start < instant < end:
                found.append(instant)
        cursor = nxt
    return found


@lru_cache(maxsize=64)
def _transitions_of_year(zone: dt.tzinfo, year: int) -> tuple[dt.datetime, ...]:
    """``zone``'s offset changes during UTC ``year`` (a day's margin each side), computed once per zone and year."""
    start = dt.datetime(year, 1, 1, tzinfo=UTC) - dt.timedelta(days=1)
    end = dt.datetime(year + 1, 1, 1, tzinfo=UTC) + dt.timedelta(days=1)
    return tuple(_offset_changes(zone, start, end))


@lru_cache(maxsize=4096)
def _local_instants(zone: dt.tzinfo, times: tuple[dt.time, ...], day: dt.date) -> tuple[dt.datetime, ...]:
    """The UTC instants at which the wall clock of ``zone`` shows each of ``times`` on ``day``, both readings
    (``fold`` 0 and 1) of an ambiguous or skipped time; the same for every session, so computed once."""
    folds = (0,) if zone is UTC else (0, 1)
    return tuple(
        dt.datetime.combine(day, t).replace(tzinfo=zone, fold=fold).astimezone(UTC) for t in times for fold in folds
    )


def local_boundaries(
    zone: dt.tzinfo, times: tuple[dt.time, ...], start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    """Sorted UTC instants strictly inside (start, end) at which the local wall clock reaches one of ``times``
    (each day), plus DST transitions.

    Both readings of ambiguous/non-existent local times (``fold`` 0 and 1) are included: cutting a session at
    an extra instant is harmless (OCPI allows extra charging periods), missing a cut is not. Restrictions are later
    evaluated at the local time of each piece's start, so a DST jump is handled by the explicit transition cut.
    Per-day instants and per-year transitions are cached: pricing many sessions recomputes neither.
    """
    if end <= start:
        return []
    cuts: set[dt.datetime] = set()
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(zone).date() + dt.timedelta(days=1)
    one_day = dt.timedelta(days=1)
    while day <= last_day:
        cuts.update(instant for instant in _local_instants(zone, times, day) if start < instant < end)
        day += one_day
    if zone is not UTC:
        for year in range(start.astimezone(UTC).year, end.astimezone(UTC).year + 1):
            cuts.update(instant for instant in _transitions_of_year(zone, year) if start < instant < end)
    return sorted(cuts)


def cuts_between(cuts: list[dt.datetime], start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The elements of sorted ``cuts`` strictly inside (start, end)."""
    i = bisect_left(cuts, start)
    out = []
    while i < len(cuts) and cuts[i] < end:
        if cuts[i] > start:
            out.append(cuts[i])
        i += 1
    return out
