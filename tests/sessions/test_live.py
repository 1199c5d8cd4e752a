"""Live pricing of a running session (roaming/sessions/live.py) from its stored meter readings."""

import copy
import datetime as dt
from decimal import Decimal

import orjson
import pytest

from roaming.sessions import live
from roaming.sessions.live import _parsed_tariff, _RunningPrices, price_live

START = dt.datetime(2024, 5, 6, 7, 30, tzinfo=dt.UTC)
TARIFF = {
    "id": "T1",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}]},
    ],
}


def priced(times):
    readings = [[t, 1000 + 700 * (i + 1), 11000.0, 16.0] for i, t in enumerate(times)]
    return price_live(
        start=START,
        meter_start_wh=1000,
        readings=readings,
        end=None,
        tariff=TARIFF,
        currency="EUR",
        time_zone="Europe/Amsterdam",
    )


@pytest.mark.parametrize(
    "times",
    [
        ["2024-05-06T09:35:00+02:00", "2024-05-06T09:42:30+02:00"],  # an offset
        ["2024-05-06T07:35:00.000Z", "2024-05-06T07:42:30,0Z"],  # fractions
        ["2024-05-06T07:35:00", "2024-05-06 07:42:30z"],  # no designator (UTC), a space, lower case
    ],
)
def test_readings_stored_in_another_form_price_as_ours(times):
    """Our readings are stored as ``…Z`` and read with ``fromisoformat``; any other form must still be read as the
    lenient OCPI parser reads it, to the same instant."""
    ours = priced(["2024-05-06T07:35:00Z", "2024-05-06T07:42:30Z"])
    assert ours.charging_periods[0]["start_date_time"] == "2024-05-06T07:30:00Z"
    assert priced(times) == ours
    assert (ours.kwh, ours.total_cost.excl_vat) == (Decimal("1.4"), Decimal("0.35"))


def test_a_tariff_is_parsed_once_for_all_readings_and_an_edited_one_is_priced_as_edited():
    """Every reading re-prices its session: the tariff snapshot's parsed, compiled model is kept per content, so the
    next reading (a new dict from the database, same content) reuses it, and a tariff with a new price does not."""
    _parsed_tariff.cache_clear()
    readings = [["2024-05-06T07:40:00Z", 3000, None, None]]
    kwargs = {"start": START, "meter_start_wh": 1000, "end": None, "currency": "EUR", "time_zone": "UTC"}
    first = price_live(readings=readings, tariff=TARIFF, **kwargs)
    again = price_live(readings=readings, tariff=copy.deepcopy(TARIFF), **kwargs)
    assert (_parsed_tariff.cache_info().hits, _parsed_tariff.cache_info().misses) == (1, 1)
    assert again == first
    assert first.total_cost.excl_vat == Decimal("0.50")  # 2 kWh x 0.25
    edited = copy.deepcopy(TARIFF)
    edited["elements"][0]["price_components"][0]["price"] = 0.40
    assert price_live(readings=readings, tariff=edited, **kwargs).total_cost.excl_vat == Decimal("0.80")
    assert _parsed_tariff.cache_info().misses == 2
    # A tariff that is not plain JSON is priced as it is, not refused.
    as_decimal = copy.deepcopy(edited)
    as_decimal["elements"][0]["price_components"][0]["price"] = Decimal("0.40")
    assert price_live(readings=readings, tariff=as_decimal, **kwargs).total_cost.excl_vat == Decimal("0.80")


PEAK_TARIFF = {
    "id": "PEAK",
    "currency": "EUR",
    "min_price": {"excl_vat": 0.5, "incl_vat": 0.6},
    "elements": [
        {"price_components": [{"type": "FLAT", "price": 0.35, "vat": 21.0, "step_size": 1}]},
        {
            "price_components": [{"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 100}],
            "restrictions": {"start_time": "17:00", "end_time": "21:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 100}]},
        {"price_components": [{"type": "PARKING_TIME", "price": 2.0, "vat": 21.0, "step_size": 300}]},
    ],
}


def test_a_session_priced_reading_by_reading_from_its_running_price_is_priced_as_from_its_start():
    """With a ``key``, each reading only extends the session's running price; every result must still be the one
    pricing all the readings from the start gives: across the 17:00 peak boundary (local time), with power changes,
    a pause, and stopped later than the last reading."""
    start = dt.datetime(2024, 5, 6, 14, 40, tzinfo=dt.UTC)  # 16:40 in Amsterdam
    kwargs = {"start": start, "meter_start_wh": 5000, "tariff": PEAK_TARIFF, "currency": "EUR"}
    readings = []
    wh = 5000
    for minute in range(7, 120, 7):
        wh += 0 if 49 <= minute <= 63 else 700 + minute  # no energy for a while: parking
        at = (start + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        readings.append([at, wh, None if minute % 3 else 11000.0 + minute, 16.0])
        running = price_live(readings=list(readings), end=None, time_zone="Europe/Amsterdam", key="peak", **kwargs)
        whole = price_live(readings=list(readings), end=None, time_zone="Europe/Amsterdam", **kwargs)
        assert running == whole
    assert len(whole.charging_periods) >= 3  # off-peak, peak, parking: the case is not trivial
    assert [count for (key, *_), (_, count, _) in live._running_prices.entries.items() if key == "peak"] == [
        len(readings)
    ]
    ended = start + dt.timedelta(minutes=150)
    assert price_live(readings=readings, end=ended, time_zone="Europe/Amsterdam", key="peak", **kwargs) == price_live(
        readings=readings, end=ended, time_zone="Europe/Amsterdam", **kwargs
    )


def test_a_running_price_is_used_only_for_the_readings_it_priced():
    """Another session under the same key (or readings that changed) is priced from the start, not from the running
    price kept; and the caller changing its list afterwards does not change what was kept."""
    kwargs = {"start": START, "meter_start_wh": 1000, "end": None, "tariff": TARIFF, "currency": "EUR"}
    first = [["2024-05-06T07:40:00Z", 3000, None, None]]
    price_live(readings=first, time_zone="UTC", key=8, **kwargs)
    first[0][1] = 5000  # the caller's list, changed after the call: now the start of the other session's
    other = [["2024-05-06T07:40:00Z", 5000, None, None], ["2024-05-06T07:50:00Z", 6000, None, None]]
    assert price_live(readings=other, time_zone="UTC", key=8, **kwargs) == price_live(
        readings=other, time_zone="UTC", **kwargs
    )
    assert price_live(readings=other, time_zone="UTC", key=8, **kwargs).total_cost.excl_vat == Decimal("1.25")


def test_running_prices_kept_stay_within_their_budget_least_recently_priced_first(monkeypatch):
    kept = _RunningPrices(budget=200)
    monkeypatch.setattr(live, "_running_prices", kept)
    kwargs = {"start": START, "meter_start_wh": 1000, "end": None, "tariff": TARIFF, "currency": "EUR"}
    readings = [["2024-05-06T07:40:00Z", 3000, 11000.0, 16.0], ["2024-05-06T07:50:00Z", 4000, 11000.0, 16.0]]
    for session in (1, 2, 3):
        price_live(readings=readings, time_zone="UTC", key=session, **kwargs)
    # Two sessions' readings (2 x 94 bytes of JSON) fit in 200 bytes; the third priced pushed the first out.
    assert [key[0] for key in kept.entries] == [2, 3]
    assert kept.size == 2 * len(orjson.dumps(readings)) <= 200
    held, _ = kept.get(next(iter(kept.entries)), orjson.dumps(readings))
    assert held == 2
    # The same readings but for a number written differently (an int where a float was) are not the ones priced.
    changed = [readings[0], ["2024-05-06T07:50:00Z", 4000, 11000, 16.0]]
    assert kept.get(next(iter(kept.entries)), orjson.dumps(changed)) == (0, None)
    # One more reading: the two priced are the first of them.
    longer = [*readings, ["2024-05-06T08:00:00Z", 5000, None, None]]
    assert kept.get(next(iter(kept.entries)), orjson.dumps(longer))[0] == 2
