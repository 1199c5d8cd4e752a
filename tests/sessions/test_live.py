"""Live pricing of a running session (roaming/sessions/live.py) from its stored meter readings."""

import copy
import datetime as dt
from decimal import Decimal

import pytest

from roaming.sessions.live import _parsed_tariff, price_live

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
