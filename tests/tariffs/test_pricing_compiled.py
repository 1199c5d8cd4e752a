"""The pricing engine's per-tariff compiled facts and its fast construction of frozen results (issue 13)."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from roaming.tariffs.pricing import PeriodKind, PricedPeriod, Timeline, parse_tariff, price_session
from roaming.tariffs.pricing.matching import compile_tariff
from roaming.tariffs.pricing.result import build_frozen

TARIFF = {
    "id": "T",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": "0.45", "step_size": 1}],
            "restrictions": {"start_time": "17:00", "end_time": "21:00"},
        },
        {"price_components": [{"type": "FLAT", "price": "1.00"}, {"type": "PARKING_TIME", "price": "2.00"}]},
        {"price_components": [{"type": "ENERGY", "price": "0.30"}, {"type": "TIME", "price": "1.00"}]},
    ],
}


def test_a_tariff_is_compiled_once_per_instance():
    tariff = parse_tariff(TARIFF)

    compiled = compile_tariff(tariff)

    assert compile_tariff(tariff) is compiled
    assert compile_tariff(parse_tariff(TARIFF)) is not compiled
    # Candidates per dimension in tariff order, each with its element's restrictions.
    energy = compiled.candidates[("session", "ENERGY")]
    assert [(index, str(applied.component.price)) for index, _, applied in energy] == [(0, "0.45"), (2, "0.30")]
    assert energy[0][1] is tariff.elements[0].restrictions and energy[1][1] is None
    assert compiled.parking_only == (False, True, False)
    assert compiled.calendar and not compiled.uses_duration and not compiled.uses_power


def test_compiling_does_not_change_equality_or_the_price():
    tariff, twin = parse_tariff(TARIFF), parse_tariff(TARIFF)
    timeline = Timeline.constant_charge(
        "2024-05-06T15:30:00Z", energy_kwh=20, power_kw=11, parking=30, time_zone="Europe/Amsterdam"
    )

    first = price_session(tariff, timeline)

    assert tariff == twin  # the compiled facts live beside the fields, not in them
    assert price_session(twin, timeline) == first == price_session(tariff, timeline)
    # 17:30-19:19 local: 20 kWh at 0.45 + 1.00 start fee + 1.818 h at 1.00 + 0.5 h parking at 2.00 = 12.818.
    assert first.total_cost.excl_vat == Decimal("12.82")


def test_build_frozen_gives_the_constructor_s_object_and_stays_frozen():
    now = dt.datetime(2024, 5, 6, tzinfo=dt.UTC)
    fields = {
        "index": 0,
        "start": now,
        "end": now,
        "kind": PeriodKind.CHARGING,
        "energy_kwh": Decimal("1.5"),
        "seconds": Decimal(60),
        "min_power_kw": None,
        "max_power_kw": Decimal(11),
        "min_current_a": None,
        "max_current_a": None,
        "components": {},
        "billed": {},
        "costs": {},
        "tariff_id": "T",
    }

    fast = build_frozen(PricedPeriod, fields)

    assert fast == PricedPeriod(**fields)
    assert repr(fast) == repr(PricedPeriod(**fields))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.index = 1


def test_the_engine_fills_every_field_of_its_frozen_results():
    # build_frozen skips the dataclass __init__: a field added later must also be filled by the engine.
    tariff = parse_tariff(TARIFF)
    timeline = Timeline.constant_charge("2024-05-06T15:30:00Z", energy_kwh=20, power_kw=11, parking=30)

    result = price_session(tariff, timeline)

    objects = [result, *result.periods, *result.flat_fees]
    assert result.periods and result.flat_fees
    for obj in objects:
        assert set(vars(obj)) == {f.name for f in dataclasses.fields(obj)}, type(obj).__name__
