"""Live pricing of a running session (mod_sessions.asciidoc, Session ``charging_periods`` and ``total_cost``).

The session's timeline is rebuilt from the CSMS's meter readings and priced by the tariff engine
(``roaming.tariffs.pricing``) against the tariff the connector had at start (mod_tariffs.asciidoc: a session keeps
the tariff valid at its start). The engine cuts a new charging period wherever the applying tariff element of any
dimension changes (time of day, duration, kWh and power crossings, charging <-> not charging), and the same
computation gives ``total_cost`` so far, exactly as the CDR will (mod_tariffs "cost calculation").

Between two readings the energy delta is spread evenly; the power and current a reading reports are taken as the
values of the interval that ends at it. A session whose connector has no tariff gets its periods without prices
and no ``total_cost`` (absent means unknown, not free: mod_sessions.asciidoc, Session object).
"""

import datetime as dt
import functools
import itertools
from dataclasses import dataclass
from decimal import Decimal

import orjson

from roaming.ocpi.datetimes import parse_datetime
from roaming.tariffs import pricing

WH_PER_KWH = Decimal(1000)


@dataclass(frozen=True)
class LiveState:
    """What the readings say now: energy so far, every charging period (the last one still open unless the session
    ended) and the cost so far (``None``: no tariff)."""

    kwh: Decimal
    charging_periods: list[dict]
    total_cost: pricing.Price | None


def json_number(value: Decimal) -> int | float:
    """A volume for JSON storage: int when integral, else float (its repr keeps the engine's six decimals)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _jsonable_period(period: dict) -> dict:
    out = {
        "start_date_time": period["start_date_time"],
        "dimensions": [{"type": d["type"], "volume": json_number(Decimal(d["volume"]))} for d in period["dimensions"]],
    }
    if period.get("tariff_id") is not None:
        out["tariff_id"] = period["tariff_id"]
    return out


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _reading_time(value: str) -> dt.datetime:
    """A stored reading's time: our own ``YYYY-MM-DDTHH:MM:SSZ``, which ``fromisoformat`` (C) reads as UTC; any other
    form goes through the lenient OCPI parser. Every reading is read again on every update of the session."""
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return parse_datetime(value)
    return at if at.tzinfo is dt.UTC else parse_datetime(value)


@functools.lru_cache(maxsize=256)
def _parsed_tariff(canonical: bytes) -> pricing.Tariff:
    # Keyed on the tariff's whole content, so an edited tariff is a new entry, never a stale one. The engine keeps
    # what it compiles from a tariff on the (frozen) instance, so a hit skips parsing and compiling both.
    return pricing.Tariff.from_ocpi(orjson.loads(canonical))


def _tariff_model(tariff: dict) -> pricing.Tariff:
    """The engine's model of the session's tariff snapshot: parsed and compiled once per process for all the
    sessions and readings priced by it (every meter reading re-prices its session, and a connector's sessions share
    one tariff), instead of once per reading."""
    try:
        canonical = orjson.dumps(tariff, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # not plain JSON (a caller's Decimal): priced as it is
        return pricing.Tariff.from_ocpi(tariff)
    return _parsed_tariff(canonical)


def price_live(
    *,
    start: dt.datetime,
    meter_start_wh: int,
    readings: list,
    end: dt.datetime | None,
    tariff: dict | None,
    currency: str,
    time_zone: str,
) -> LiveState:
    """Price the session from ``readings`` (``[iso timestamp, cumulative Wh, power W|None, current A|None]`` in time
    order, all after ``start``). ``end`` is the session end once stopped, else the last reading's time."""
    points = [(start, meter_start_wh, None, None)]
    points += [(_reading_time(r[0]), int(r[1]), r[2], r[3]) for r in readings]
    intervals = []
    for (a_at, a_wh, _, _), (b_at, b_wh, b_power, b_current) in itertools.pairwise(points):
        power = _decimal(b_power)
        intervals.append(
            pricing.Interval(
                a_at,
                b_at,
                Decimal(b_wh - a_wh) / WH_PER_KWH,
                power_kw=None if power is None else power / WH_PER_KWH,
                current_a=_decimal(b_current),
            )
        )
    session_end = max(end or points[-1][0], points[-1][0])
    timeline = pricing.Timeline(start, session_end, tuple(intervals), time_zone)
    model = _tariff_model(tariff) if tariff else pricing.Tariff(currency=currency, elements=())
    result = pricing.price_session(model, timeline)
    kwh = Decimal(points[-1][1] - meter_start_wh) / WH_PER_KWH
    # No reading yet: nothing measured, no period (a zero-length one would only be noise for the eMSP).
    periods = [_jsonable_period(p) for p in result.charging_periods] if session_end > start else []
    return LiveState(kwh=kwh, charging_periods=periods, total_cost=result.total_cost if tariff else None)
