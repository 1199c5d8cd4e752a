"""Live pricing of a running session (mod_sessions.asciidoc, Session ``charging_periods`` and ``total_cost``).

The session's timeline is rebuilt from the CSMS's meter readings and priced by the tariff engine
(``roaming.tariffs.pricing``) against the tariff the connector had at start (mod_tariffs.asciidoc: a session keeps
the tariff valid at its start). The engine cuts a new charging period wherever the applying tariff element of any
dimension changes (time of day, duration, kWh and power crossings, charging <-> not charging), and the same
computation gives ``total_cost`` so far, exactly as the CDR will (mod_tariffs "cost calculation").

A session reports a reading every 15 to 60 s for hours, and each one re-prices it: each process keeps the sessions'
running prices (``pricing.RunningPrice``), so a reading costs the pricing of its own interval, not of the whole
session again (the same result, which the engine's tests hold it to).

Between two readings the energy delta is spread evenly; the power and current a reading reports are taken as the
values of the interval that ends at it. A session whose connector has no tariff gets its periods without prices
and no ``total_cost`` (absent means unknown, not free: mod_sessions.asciidoc, Session object).
"""

import datetime as dt
import functools
import itertools
import threading
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


@functools.lru_cache(maxsize=64)
def _no_tariff(currency: str) -> pricing.Tariff:
    return pricing.Tariff(currency=currency, elements=())


def _tariff_model(tariff: dict | None, currency: str) -> tuple[pricing.Tariff, object]:
    """The engine's model of the session's tariff snapshot, and what identifies it: parsed and compiled once per
    process for all the sessions and readings priced by it (every meter reading re-prices its session, and a
    connector's sessions share one tariff), instead of once per reading. The identity is None for a tariff that is
    not plain JSON (a caller's Decimal), which is priced as it is and never cached."""
    if not tariff:
        return _no_tariff(currency), ("no tariff", currency)
    try:
        canonical = orjson.dumps(tariff, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return pricing.Tariff.from_ocpi(tariff), None
    return _parsed_tariff(canonical), canonical


class _RunningPrices:
    """The running prices of the sessions a process priced lately, by session, and the readings each one priced
    (as their JSON: about 45 bytes a reading). At most ``budget`` bytes of readings are kept; the least recently
    priced sessions go first."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.entries: dict[tuple, tuple[bytes, int, pricing.RunningPrice]] = {}
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple | None, readings_json: bytes | None) -> tuple[int, pricing.RunningPrice | None]:
        """The running price kept for ``key`` and how many readings it priced, if they are exactly the first of the
        readings given (``readings_json``, their JSON): a session's readings are only ever appended to; anything else
        prices from the start."""
        if key is None:
            return 0, None
        with self.lock:
            entry = self.entries.get(key)
        if entry is None:
            return 0, None
        priced_json, count, running = entry
        # The JSON of the readings priced is that of the first ones given up to its closing bracket, where the given
        # ones go on (a comma) or end too: each reading is a whole JSON array, so this holds only if they are the
        # same readings (1 and 1.0 included: their JSON differs).
        end = len(priced_json) - 1
        if not readings_json.startswith(priced_json[:end]) or readings_json[end : end + 1] not in (b",", b"]"):
            return 0, None
        return count, running

    def keep(self, key: tuple, readings_json: bytes, count: int, running: pricing.RunningPrice) -> None:
        with self.lock:
            held = self.entries.pop(key, None)
            if held is not None:
                self.size -= len(held[0])
            self.entries[key] = (readings_json, count, running)
            self.size += len(readings_json)
            while self.size > self.budget and len(self.entries) > 1:
                self.size -= len(self.entries.pop(next(iter(self.entries)))[0])


#: 64 MB of readings: about 6,000 sessions of 240 readings per process.
_running_prices = _RunningPrices(64 * 1024 * 1024)


def _intervals(previous: tuple, readings: list) -> list[pricing.Interval]:
    """The intervals ending at each of ``readings``, the first one starting at ``previous`` (time, Wh)."""
    points = [previous, *((_reading_time(r[0]), int(r[1]), r[2], r[3]) for r in readings)]
    intervals = []
    for (a_at, a_wh, *_), (b_at, b_wh, b_power, b_current) in itertools.pairwise(points):
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
    return intervals


def price_live(
    *,
    start: dt.datetime,
    meter_start_wh: int,
    readings: list,
    end: dt.datetime | None,
    tariff: dict | None,
    currency: str,
    time_zone: str,
    key=None,
) -> LiveState:
    """Price the session from ``readings`` (``[iso timestamp, cumulative Wh, power W|None, current A|None]`` in time
    order, all after ``start``). ``end`` is the session end once stopped, else the last reading's time.

    ``key`` (the session's id) keeps the session's running price in this process (``pricing.RunningPrice``): the
    next call with the same readings and more only segments and merges the intervals of the new readings, instead of
    pricing the session again from its start (the result is the same; every reading of a long session cost more
    than the one before)."""
    model, tariff_identity = _tariff_model(tariff, currency)
    cache_key = readings_json = None
    if key is not None and tariff_identity is not None and readings:
        try:
            readings_json = orjson.dumps(readings)
            cache_key = (key, tariff_identity, time_zone, start, meter_start_wh)
        except TypeError:  # not plain JSON: priced from the start, never kept
            pass
    count, running = _running_prices.get(cache_key, readings_json)
    if running is None:
        running = pricing.RunningPrice.begin(model, start, time_zone)
    if len(readings) > count:
        previous = (
            (start, meter_start_wh)
            if count == 0
            else (_reading_time(readings[count - 1][0]), int(readings[count - 1][1]))
        )
        running = running.extended(_intervals(previous, readings[count:]))
        if cache_key is not None:
            _running_prices.keep(cache_key, readings_json, len(readings), running)
    session_end = max(end or running.end, running.end)
    result = running.price(session_end)
    kwh = Decimal((int(readings[-1][1]) if readings else meter_start_wh) - meter_start_wh) / WH_PER_KWH
    # No reading yet: nothing measured, no period (a zero-length one would only be noise for the eMSP).
    periods = [_jsonable_period(p) for p in result.charging_periods] if session_end > start else []
    return LiveState(kwh=kwh, charging_periods=periods, total_cost=result.total_cost if tariff else None)
