"""Live pricing of a running session (roaming/sessions/live.py) from its stored meter readings."""

import datetime as dt
from decimal import Decimal

import pytest

from roaming.sessions.live import price_live

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
