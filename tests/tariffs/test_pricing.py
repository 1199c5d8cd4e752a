"""Hand-worked edge cases for the pricing engine (roaming.tariffs.pricing); expected values computed by hand."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from roaming.tariffs.presentation import pricing_breakdown
from roaming.tariffs.pricing import (
    Interval,
    Price,
    TariffParseError,
    Timeline,
    describe_tariff,
    format_money,
    minor_units,
    parse_tariff,
    price_session,
    round_money,
    timeline_from_cdr,
    unwrap_ocpi_object,
)

D = Decimal
AMS = "Europe/Amsterdam"


def at(text: str, zone: str = AMS) -> dt.datetime:
    """A local wall-clock time in ``zone`` as UTC (``fold`` 0 for ambiguous times)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def make_tariff(*elements, currency="EUR", **extra):
    return parse_tariff({"id": "T1", "currency": currency, "elements": list(elements), **extra})


def el(*components, **restrictions):
    out = {"price_components": [dict(zip(("type", "price", "step_size", "vat"), c, strict=False)) for c in components]}
    if restrictions:
        out["restrictions"] = restrictions
    return out


def constant(start, end, kwh, zone=AMS, **kw):
    return Timeline.from_intervals([Interval(start, end, kwh, **kw)], time_zone=zone)


# --------------------------------------------------------------------------------------------- time of day


def test_session_across_midnight_with_a_wrapping_night_window():
    # Night 23:00-07:00 (end < start wraps) at 0.15, otherwise 0.30. 22:00-01:00 at 10 kW = 30 kWh:
    # 22-23 10 kWh @0.30 + 23-01 20 kWh @0.15 = 6.00.
    t = make_tariff(el(("ENERGY", "0.15", 1), start_time="23:00", end_time="07:00"), el(("ENERGY", "0.30", 1)))
    r = price_session(t, constant(at("2024-05-10T22:00"), at("2024-05-11T01:00"), 30))
    assert [(p.energy_kwh, p.components["ENERGY"].element_index) for p in r.periods] == [(10, 1), (20, 0)]
    assert r.total_cost.excl_vat == D("6.00")


def test_end_time_midnight_means_end_of_day():
    # 20:00-00:00 at 1.00/h; fallback 0.50/h. 19:00-21:00: 1 h @0.50 + 1 h @1.00 = 1.50.
    t = make_tariff(el(("TIME", "1.00", 1), start_time="20:00", end_time="00:00"), el(("TIME", "0.50", 1)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T19:00"), duration=120, time_zone=AMS))
    assert r.total_cost.excl_vat == D("1.50")
    # And it stops at midnight: 23:00-01:00 gives 1 h @1.00 + 1 h @0.50.
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T23:00"), duration=120, time_zone=AMS))
    assert [p.components["TIME"].element_index for p in r.periods] == [0, 1]
    assert r.total_cost.excl_vat == D("1.50")


def test_only_start_time_or_only_end_time():
    t = make_tariff(
        el(("TIME", "3", 1), end_time="08:00"), el(("TIME", "2", 1), start_time="18:00"), el(("TIME", "1", 1))
    )
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T07:00"), duration=60 * 12, time_zone=AMS))
    # 07-08 @3, 08-18 @1, 18-19 @2
    assert [p.hours for p in r.periods] == [1, 10, 1]
    assert r.total_cost.excl_vat == D("15.00")


def test_restrictions_use_local_time_not_utc():
    # 17:00-20:00 local Amsterdam (UTC+2 in summer) = 15:00-18:00 UTC.
    t = make_tariff(el(("ENERGY", "0.50", 1), start_time="17:00", end_time="20:00"), el(("ENERGY", "0.20", 1)))
    start = dt.datetime(2024, 7, 1, 14, 0, tzinfo=dt.UTC)  # 16:00 local
    tl = Timeline.from_intervals([Interval(start, start + dt.timedelta(hours=2), 2)], time_zone=AMS)
    r = price_session(t, tl)
    assert r.total_cost.excl_vat == D("0.70")  # 1 kWh @0.20 (16-17) + 1 kWh @0.50 (17-18)
    utc = price_session(t, Timeline.from_intervals([Interval(start, start + dt.timedelta(hours=2), 2)]))
    assert utc.total_cost.excl_vat == D("0.40")  # in UTC 14:00-16:00 is all off-peak


def test_dst_spring_forward_night_has_eleven_hours():
    # Night 20:00-08:00 at 0.10, day 0.40. Sat 30 Mar 2024 20:00 CET -> Sun 31 Mar 10:00 CEST is 13 real hours
    # at 1 kW: the night lost an hour to DST, so 11 kWh night + 2 kWh day = 1.10 + 0.80.
    t = make_tariff(el(("ENERGY", "0.10", 1), start_time="20:00", end_time="08:00"), el(("ENERGY", "0.40", 1)))
    start, end = at("2024-03-30T20:00"), at("2024-03-31T10:00")
    assert end - start == dt.timedelta(hours=13)
    r = price_session(t, constant(start, end, 13, power_kw=1))
    assert [p.energy_kwh for p in r.periods] == [11, 2]
    assert r.total_cost.excl_vat == D("1.90")


def test_dst_fall_back_night_has_thirteen_hours():
    t = make_tariff(el(("ENERGY", "0.10", 1), start_time="20:00", end_time="08:00"), el(("ENERGY", "0.40", 1)))
    start, end = at("2024-10-26T20:00"), at("2024-10-27T10:00")
    assert end - start == dt.timedelta(hours=15)
    r = price_session(t, constant(start, end, 15, power_kw=1))
    assert [p.energy_kwh for p in r.periods] == [13, 2]


def test_window_inside_the_spring_forward_gap_starts_at_the_jump():
    # 02:30-04:00 does not exist before 03:00 on 31 Mar 2024; the window is active from the jump (03:00 CEST,
    # 01:00 UTC) until 04:00 CEST: 1 real hour @10/h; the rest (00:00 CET-05:00 CEST = 4 h total) @1/h.
    t = make_tariff(el(("TIME", "10", 1), start_time="02:30", end_time="04:00"), el(("TIME", "1", 1)))
    start, end = at("2024-03-31T00:00"), at("2024-03-31T05:00")
    r = price_session(t, Timeline.constant_charge(start, duration=end - start, time_zone=AMS))
    expensive = [p for p in r.periods if p.components["TIME"].element_index == 0]
    assert [(p.start, p.end) for p in expensive] == [
        (dt.datetime(2024, 3, 31, 1, 0, tzinfo=dt.UTC), dt.datetime(2024, 3, 31, 2, 0, tzinfo=dt.UTC))
    ]
    assert r.total_cost.excl_vat == D("13.00")


def test_window_in_the_repeated_hour_of_fall_back_counts_twice():
    # 02:00-03:00 local happens twice on 27 Oct 2024: 2 real hours @10/h, 4 other hours @1/h.
    t = make_tariff(el(("TIME", "10", 1), start_time="02:00", end_time="03:00"), el(("TIME", "1", 1)))
    start, end = at("2024-10-27T00:00"), at("2024-10-27T05:00")
    assert end - start == dt.timedelta(hours=6)
    r = price_session(t, Timeline.constant_charge(start, duration=end - start, time_zone=AMS))
    assert r.total_cost.excl_vat == D("24.00")


# --------------------------------------------------------------------------------------------- calendar


def test_day_of_week_switches_at_local_midnight():
    # Weekend energy 0.10, weekdays 0.30. Fri 2024-05-10 23:00 -> Sat 01:00 at 6 kW: 6 kWh @0.30 + 6 kWh @0.10.
    t = make_tariff(el(("ENERGY", "0.10", 1), day_of_week=["SATURDAY", "SUNDAY"]), el(("ENERGY", "0.30", 1)))
    r = price_session(t, constant(at("2024-05-10T23:00"), at("2024-05-11T01:00"), 12))
    assert [p.components["ENERGY"].element_index for p in r.periods] == [1, 0]
    assert r.total_cost.excl_vat == D("2.40")


def test_start_date_inclusive_end_date_exclusive():
    # Promotion from 2024-05-11 (incl) to 2024-05-12 (excl) at 0.05, else 0.25. 1 kWh/h from 10 May 23:00 to
    # 12 May 01:00 = 26 h: 1 + 1 kWh outside, 24 kWh inside.
    t = make_tariff(
        el(("ENERGY", "0.05", 1), start_date="2024-05-11", end_date="2024-05-12"), el(("ENERGY", "0.25", 1))
    )
    r = price_session(t, constant(at("2024-05-10T23:00"), at("2024-05-12T01:00"), 26))
    assert [p.energy_kwh for p in r.periods] == [1, 24, 1]
    assert r.total_cost.excl_vat == D("1.70")


# --------------------------------------------------------------------------------------------- duration / kWh / power


def test_time_price_after_two_hours_min_duration():
    # TIME free for 2 hours, then 2.00/h (min_duration 7200 s). 3 h charging = 2.00.
    t = make_tariff(el(("ENERGY", "0.25", 1)), el(("TIME", "2.00", 1), min_duration=7200))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=30, duration=180, time_zone=AMS))
    assert r.total_time_cost.excl_vat == D("2.00")
    assert r.total_energy_cost.excl_vat == D("7.50")
    assert [p.hours for p in r.periods] == [2, 1]


def test_min_duration_counts_from_session_start_for_parking():
    # Parking 6.00/h only after 4 hours of session. Charge 3 h, park 2 h: parking billed 1 h.
    t = make_tariff(el(("PARKING_TIME", "6.00", 1), min_duration=14400))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=180, parking=120, time_zone=AMS))
    assert r.total_parking_time == 2
    assert r.billed_parking_time == 1
    assert r.total_parking_cost.excl_vat == D("6.00")


def test_kwh_tiers_split_inside_one_interval():
    # First 10 kWh 0.40 (max_kwh 10), from 10 kWh 0.30: 25 kWh = 4.00 + 4.50.
    t = make_tariff(el(("ENERGY", "0.40", 1), max_kwh=10), el(("ENERGY", "0.30", 1), min_kwh=10))
    r = price_session(t, constant(at("2024-05-10T10:00"), at("2024-05-10T12:30"), 25))
    assert [p.energy_kwh for p in r.periods] == [10, 15]
    assert r.periods[1].start == at("2024-05-10T11:00")  # interpolated crossing: 10 kWh of 25 at 10 kW
    assert r.total_cost.excl_vat == D("8.50")


def test_power_tiers_with_min_and_max_power():
    # <= 11 kW: 0.30, 11-50 kW: 0.45, >= 50 kW: 0.60.
    t = make_tariff(
        el(("ENERGY", "0.60", 1), min_power=50),
        el(("ENERGY", "0.45", 1), min_power=11),
        el(("ENERGY", "0.30", 1)),
    )
    s = at("2024-05-10T10:00")
    h = dt.timedelta(hours=1)
    tl = Timeline.from_intervals(
        [
            Interval(s, s + h, 11, power_kw=11),
            Interval(s + h, s + 2 * h, 60, power_kw=60),
            Interval(s + 2 * h, s + 3 * h, 7),
        ],
        time_zone=AMS,
    )
    r = price_session(t, tl)
    assert [p.components["ENERGY"].element_index for p in r.periods] == [1, 0, 2]
    assert r.total_cost.excl_vat == D("4.95") + D("36.00") + D("2.10")


def test_power_range_in_a_period_must_satisfy_the_restriction_throughout():
    # A CDR period that went from 10 to 20 kW does not satisfy max_power 16 (it did not hold all the time).
    t = make_tariff(el(("ENERGY", "0.20", 1), max_power=16), el(("ENERGY", "0.50", 1)))
    s = at("2024-05-10T10:00")
    tl = constant(s, s + dt.timedelta(hours=1), 15, min_power_kw=10, max_power_kw=20)
    assert price_session(t, tl).total_cost.excl_vat == D("7.50")
    tl = constant(s, s + dt.timedelta(hours=1), 15, min_power_kw=10, max_power_kw="15.9")
    assert price_session(t, tl).total_cost.excl_vat == D("3.00")


def test_unknown_current_does_not_match_current_restrictions_and_warns():
    t = make_tariff(el(("TIME", "1.00", 1), max_current=32), el(("TIME", "3.00", 1)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=60, time_zone=AMS))
    assert r.total_cost.excl_vat == D("3.00")
    assert any("current unknown" in w for w in r.warnings)
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=60, time_zone=AMS, current_a=16))
    assert r.total_cost.excl_vat == D("1.00")
    assert r.warnings == ()


# --------------------------------------------------------------------------------------------- step_size


def test_energy_step_size_partial_step_rounds_up():
    # step 1000 Wh: 10.2 kWh billed as 11 kWh.
    t = make_tariff(el(("ENERGY", "0.30", 1000)))
    r = price_session(
        t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh="10.2", power_kw=11, time_zone=AMS)
    )
    assert r.total_energy == D("10.2")
    assert r.billed_energy == 11
    assert r.total_cost.excl_vat == D("3.30")


def test_time_step_size_partial_step_without_parking():
    # 61 minutes at 6.00/h with step 900 s -> 75 minutes = 7.50.
    t = make_tariff(el(("TIME", "6.00", 900)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=61, time_zone=AMS))
    assert r.billed_time * 60 == 75
    assert r.total_cost.excl_vat == D("7.50")


def test_exact_multiple_of_step_is_not_rounded():
    t = make_tariff(el(("TIME", "6.00", 900)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=60, time_zone=AMS))
    assert r.billed_time == 1


def test_charging_time_rounded_when_parking_is_free():
    # Only TIME priced (step 600): parking after charging is free, so the last priced time-based period is
    # charging and the charging total is rounded (41 -> 50 minutes).
    t = make_tariff(el(("TIME", "6.00", 600)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=41, parking=30, time_zone=AMS))
    assert r.billed_time * 60 == 50
    assert r.total_cost.excl_vat == D("5.00")


def test_step_size_zero_means_no_rounding():
    t = make_tariff(el(("TIME", "6.00", 0)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=61, time_zone=AMS))
    assert (r.billed_time * 60).quantize(D("0.000001")) == 61
    assert r.exact["total_time_cost"].excl_vat.quantize(D("0.000001")) == D("6.10")


# --------------------------------------------------------------------------------------------- parking / charging state


def test_parking_after_charging_ends():
    t = make_tariff(el(("ENERGY", "0.30", 1), ("PARKING_TIME", "3.00", 60)))
    r = price_session(
        t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=22, power_kw=11, parking=30, time_zone=AMS)
    )
    assert [p.kind.value for p in r.periods] == ["CHARGING", "PARKING"]
    assert r.total_parking_time == D("0.5")
    assert r.total_time == D("2.5")
    assert r.total_cost.excl_vat == D("6.60") + D("1.50")


def test_paused_delivery_while_vehicle_requests_power_is_time_not_parking():
    # Erratum: PARKING_TIME is "vehicle not requesting power". A pause with charging=True stays TIME.
    t = make_tariff(el(("TIME", "2.00", 1), ("PARKING_TIME", "10.00", 1)))
    s = at("2024-05-10T10:00")
    h = dt.timedelta(hours=1)
    tl = Timeline.from_intervals(
        [Interval(s, s + h, 10), Interval(s + h, s + 2 * h, 0, charging=True), Interval(s + 2 * h, s + 3 * h, 0)],
        time_zone=AMS,
    )
    r = price_session(t, tl)
    assert r.total_charging_time == 2 and r.total_parking_time == 1
    assert r.total_cost.excl_vat == D("14.00")


def test_gaps_between_intervals_are_parking():
    t = make_tariff(el(("PARKING_TIME", "1.00", 1)))
    s = at("2024-05-10T10:00")
    tl = Timeline.from_intervals(
        [Interval(s, s + dt.timedelta(hours=1), 5), Interval(s + dt.timedelta(hours=3), s + dt.timedelta(hours=4), 5)],
        time_zone=AMS,
    )
    r = price_session(t, tl)
    assert r.total_parking_time == 2
    assert r.total_cost.excl_vat == D("2.00")


@pytest.mark.parametrize(
    "interval",
    [
        Interval(at("2024-05-10T10:00"), at("2024-05-10T10:30"), D("5")),  # average power
        Interval(at("2024-05-10T10:00"), at("2024-05-10T10:30"), 0),  # parking: 0 kW, 0 A
        Interval(at("2024-05-10T10:00"), at("2024-05-10T10:30"), D("2.5"), power_kw=11, current_a=16),
        Interval(at("2024-05-10T10:00"), at("2024-05-10T10:30"), 3, charging=True, min_power_kw=7, max_current_a=32),
        Interval(at("2024-05-10T10:00"), at("2024-05-10T10:00"), 0, charging=True),  # zero length: power unknown
    ],
)
def test_resolved_is_the_validated_copy_with_the_ranges_filled_in(interval):
    """``resolved`` copies without running ``__post_init__`` again: the copy must equal a validated one."""
    copy = interval.resolved()
    ranges = {
        name: getattr(copy, name)
        for name in ("charging", "min_power_kw", "max_power_kw", "min_current_a", "max_current_a")
    }
    assert copy == Interval(
        copy.start, copy.end, copy.energy_kwh, power_kw=copy.power_kw, current_a=copy.current_a, **ranges
    )
    assert all(v is None or type(v) in (bool, Decimal) for v in ranges.values())
    assert copy.resolved() == copy


def test_overlapping_intervals_are_rejected():
    s = at("2024-05-10T10:00")
    with pytest.raises(ValueError, match="overlap"):
        Timeline.from_intervals(
            [
                Interval(s, s + dt.timedelta(hours=2), 5),
                Interval(s + dt.timedelta(hours=1), s + dt.timedelta(hours=3), 5),
            ]
        )


# --------------------------------------------------------------------------------------------- FLAT


def test_flat_is_charged_once_even_when_active_in_several_periods():
    t = make_tariff(
        el(("FLAT", "1.00", 1), ("TIME", "1.00", 1), end_time="12:00"),
        el(("FLAT", "2.00", 1), ("TIME", "2.00", 1), start_time="12:00"),
    )
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T11:00"), duration=120, time_zone=AMS))
    assert len(r.periods) == 2
    assert r.total_fixed_cost.excl_vat == D("1.00")  # the FLAT of the element active at the start
    assert r.total_cost.excl_vat == D("4.00")


def test_flat_that_becomes_active_later_is_charged_once():
    # An idle fee after 3 hours (FLAT in an element with PARKING_TIME only) is a parking cost.
    t = make_tariff(el(("ENERGY", "0.30", 1)), el(("FLAT", "5.00", 1), ("PARKING_TIME", "1.00", 1), min_duration=10800))
    short = price_session(
        t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=10, duration=120, parking=30, time_zone=AMS)
    )
    assert short.total_parking_cost.excl_vat == 0
    long = price_session(
        t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=10, duration=120, parking=120, time_zone=AMS)
    )
    assert long.total_parking_cost.excl_vat == D("6.00")  # 5.00 fee + 1 h at 1.00
    assert long.total_fixed_cost.excl_vat == 0
    assert long.total_cost.excl_vat == D("9.00")


def test_zero_length_session_still_pays_the_start_fee():
    t = make_tariff(el(("FLAT", "0.50", 1), ("ENERGY", "0.25", 1)))
    s = at("2024-05-10T10:00")
    r = price_session(t, Timeline(s, s, (), AMS))
    assert r.total_cost.excl_vat == D("0.50")


# --------------------------------------------------------------------------------------------- VAT, min/max, rounding


def test_vat_absent_means_no_vat_by_default_and_unknown_on_request():
    t = make_tariff(el(("ENERGY", "0.25", 1)), el(("FLAT", "1.00", 1, "21")))
    tl = Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=10, power_kw=10, time_zone=AMS)
    r = price_session(t, tl)
    assert r.total_cost == Price(D("3.50"), D("3.71"))
    unknown = price_session(t, tl, vat_absent_means_unknown=True)
    assert unknown.total_cost == Price(D("3.50"), None)
    assert unknown.total_fixed_cost == Price(D("1.00"), D("1.21"))
    assert unknown.total_energy_cost == Price(D("2.50"), None)
    assert "incl_vat" not in unknown.to_ocpi()["total_cost"]


def test_max_price_clamps_excl_and_incl_independently():
    # 40 kWh at 0.245 (vat 21%) = 9.80 excl / 11.858 incl. Max 10.00 / 11.50: only incl is clamped.
    t = make_tariff(el(("ENERGY", "0.245", 1, "21")), max_price={"excl_vat": 10, "incl_vat": "11.50"})
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=40, power_kw=10, time_zone=AMS))
    assert r.total_cost == Price(D("9.80"), D("11.50"))
    assert r.adjustment == Price(D("0"), D("-0.358"))
    assert r.total_energy_cost == Price(D("9.80"), D("11.86"))  # the dimension total is not clamped
    assert pricing_breakdown(r)[-1]["dimension"] == "MAX_PRICE"


def test_min_price_without_incl_vat_scales_incl_vat():
    t = make_tariff(el(("ENERGY", "0.25", 1, "10")), min_price={"excl_vat": 1})
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=2, power_kw=10, time_zone=AMS))
    assert r.total_cost == Price(D("1.00"), D("1.10"))
    assert r.adjustment_reason == "min_price"


def test_total_is_rounded_from_unrounded_dimension_totals():
    # 2.875 + 3.30 + 4.125 = 10.30 (not 2.88 + 3.30 + 4.13 = 10.31), as in the spec's complex example.
    t = make_tariff(
        el(("FLAT", "2.50", 1, "15")),
        el(("TIME", "1.00", 1, "20"), ("PARKING_TIME", "5.00", 300, "10")),
    )
    r = price_session(t, Timeline.constant_charge(at("2024-06-03T09:30"), duration=165, parking=42, time_zone=AMS))
    assert r.total_fixed_cost.incl_vat == D("2.88")
    assert r.total_parking_cost.incl_vat == D("4.13")
    assert r.total_cost.incl_vat == D("10.30")


@pytest.mark.parametrize(
    ("currency", "amount", "expected", "places"),
    [
        ("EUR", "1.005", "1.01", 2),
        ("JPY", "150.5", "151", 0),
        ("BHD", "1.23456", "1.235", 3),
        ("XXX", "0.125", "0.13", 2),
    ],
)
def test_currency_minor_units_and_half_up(currency, amount, expected, places):
    assert minor_units(currency) == places
    assert round_money(D(amount), currency) == D(expected)


def test_ties_reached_through_division_still_round_up():
    # 20 min at 0.015/h is exactly 0.005; Decimal's 28-digit division must not turn it into 0.00499... -> 0.00.
    t = make_tariff(el(("TIME", "0.015", 1)))
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), duration=20, time_zone=AMS))
    assert r.total_cost.excl_vat == D("0.01")
    assert round_money(D(1) / 3 * D("0.015"), "EUR") == D("0.01")  # 0.004999...9 -> 0.005 -> 0.01


def test_jpy_totals_have_no_decimals():
    t = make_tariff(el(("ENERGY", "45.5", 1, "10")), currency="JPY")
    r = price_session(t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=3, power_kw=10, time_zone=AMS))
    assert r.total_cost == Price(D("137"), D("150"))  # 136.5 -> 137; 150.15 -> 150


# --------------------------------------------------------------------------------------------- reservation


def test_reservation_time_with_time_of_day_restriction():
    # Reservations cost 2.00/h only during the day (08:00-20:00); the element only prices reservation time.
    t = make_tariff(
        el(("TIME", "2.00", 60), reservation="RESERVATION", start_time="08:00", end_time="20:00"),
        el(("ENERGY", "0.25", 1)),
    )
    r = price_session(
        t, Timeline.constant_charge(at("2024-05-10T20:30"), energy_kwh=10, power_kw=10, time_zone=AMS, reserved_for=60)
    )
    assert r.total_reservation_time == 1
    assert r.billed_reservation_time * 60 == 30  # 19:30-20:00 only
    assert r.total_reservation_cost.excl_vat == D("1.00")
    assert r.total_time_cost.excl_vat == 0  # the reservation element never prices the session's charging time


# --------------------------------------------------------------------------------------------- output shapes


def test_to_ocpi_charging_periods_and_fields():
    t = make_tariff(el(("ENERGY", "0.25", 1), ("PARKING_TIME", "1.00", 1)))
    r = price_session(
        t,
        Timeline.constant_charge(
            at("2024-05-10T10:00"), energy_kwh=11, power_kw=11, parking=30, time_zone=AMS, current_a=16
        ),
    )
    out = r.to_ocpi()
    assert out["total_cost"] == {"excl_vat": D("3.25"), "incl_vat": D("3.25")}
    assert out["total_energy_cost"] == {"excl_vat": D("2.75"), "incl_vat": D("2.75")}
    assert "total_time_cost" not in out  # no TIME component was used
    assert out["charging_periods"] == [
        {
            "start_date_time": "2024-05-10T08:00:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": D("11")},
                {"type": "TIME", "volume": D("1")},
                {"type": "MAX_CURRENT", "volume": D("16")},
                {"type": "MIN_CURRENT", "volume": D("16")},
                {"type": "MAX_POWER", "volume": D("11")},
                {"type": "MIN_POWER", "volume": D("11")},
            ],
            "tariff_id": "T1",
        },
        {
            "start_date_time": "2024-05-10T09:00:00Z",
            "dimensions": [{"type": "PARKING_TIME", "volume": D("0.5")}],
            "tariff_id": "T1",
        },
    ]
    assert out["total_time"] == D("1.5") and out["total_parking_time"] == D("0.5")


def test_breakdown_rows_are_readable():
    t = make_tariff(el(("FLAT", "0.50", 1)), el(("ENERGY", "0.25", 1), ("PARKING_TIME", "2.00", 900)))
    r = price_session(
        t, Timeline.constant_charge(at("2024-05-10T10:00"), energy_kwh=20, power_kw=10, parking=40, time_zone=AMS)
    )
    texts = [row["text"] for row in pricing_breakdown(r)]
    assert texts == [
        "start fee €0.50",
        "10:00–12:00 energy 20 kWh × €0.25/kWh = €5.00",
        "10:00–12:00 charging time 2 h: free (no price component applies)",
        "12:00–12:40 parking time 45 min × €2.00/h = €1.50 (used 40 min, rounded up to step_size 900)",
    ]
    assert sum(row["cost_excl_vat"] for row in pricing_breakdown(r)) == r.total_cost.excl_vat


def test_the_engine_carries_no_admin_presentation():
    """The calculator's rows are built in roaming.tariffs.presentation; the engine stops at OCPI-shaped output."""
    import roaming.tariffs.pricing.engine as engine

    assert not hasattr(engine.PricingResult, "breakdown")
    assert not hasattr(engine, "_quantity_text")


# --------------------------------------------------------------------------------------------- parsing / helpers


def test_lenient_parsing_ignores_unknown_fields_and_keeps_decimals_exact():
    t = parse_tariff(
        {
            "currency": "eur",
            "elements": [{"price_components": [{"type": "energy", "price": 0.1, "vat": 21, "foo": 1}], "bar": {}}],
            "unknown": True,
        }
    )
    comp = t.elements[0].price_components[0]
    assert (t.currency, comp.type, comp.price, comp.vat, comp.step_size) == ("EUR", "ENERGY", D("0.1"), D("21"), 1)


@pytest.mark.parametrize(
    "bad",
    [
        {"elements": []},
        {"currency": "EUR", "elements": [{"price_components": [{"type": "TIME"}]}]},
        {"currency": "EUR", "elements": [{"price_components": [], "restrictions": {"start_time": "7am"}}]},
        {"currency": "EUR", "elements": [{"price_components": [], "restrictions": {"day_of_week": ["FUNDAY"]}}]},
    ],
)
def test_invalid_tariffs_raise(bad):
    with pytest.raises(TariffParseError):
        parse_tariff(bad)


def test_describe_tariff_in_words():
    t = make_tariff(
        el(("ENERGY", "0.25", 1)),
        el(("TIME", "2.00", 1), min_duration=7200),
        el(("ENERGY", "0.35", 1), start_time="17:00", end_time="20:00"),
    )
    assert describe_tariff(t) == "€0.25/kWh, €2.00/h after 2 hours, 17:00–20:00 €0.35/kWh"


def test_describe_tariff_says_otherwise_for_a_fallback_and_excl_vat_when_vat_applies():
    peak_then_fallback = make_tariff(
        el(("ENERGY", "0.35", 1), start_time="17:00", end_time="20:00"),
        el(("ENERGY", "0.25", 1)),
        el(("FLAT", "0.50", 1)),  # another dimension: no fallback of anything
    )
    assert describe_tariff(peak_then_fallback) == "17:00–20:00 €0.35/kWh, otherwise €0.25/kWh, €0.50 start fee"
    with_vat = make_tariff(el(("ENERGY", "0.30", 1, "21"), min_kwh=10), el(("ENERGY", "0.25", 1, "21")))
    assert describe_tariff(with_vat) == "€0.30/kWh from 10 kWh, otherwise €0.25/kWh (excl. VAT)"
    assert describe_tariff(make_tariff(el(("ENERGY", "0.25", 1, "0")))) == "€0.25/kWh"  # 0 % VAT: nothing to add


def test_describe_tariff_other_features():
    t = make_tariff(
        el(
            ("FLAT", "1", 1),
            ("PARKING_TIME", "3", 300),
            day_of_week=["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        ),
        el(("ENERGY", "0.3", 500), max_power=22),
        el(("TIME", "5", 60), reservation="RESERVATION"),
        currency="GBP",
        max_price={"excl_vat": 20},
    )
    assert describe_tariff(t) == (
        "Mon–Fri £1.00 parking fee + £3.00/h parking (billed per 5 min), £0.30/kWh (billed per 500 Wh) at < 22 kW, "
        "£5.00/h reservation time (billed per 1 min); maximum £20.00"
    )
    assert describe_tariff(make_tariff(el(("FLAT", "0", 0)))) == "free of charge"


def test_format_money_symbols():
    assert format_money(D("2"), "CHF") == "CHF 2.00"
    assert format_money(D("0.255"), "USD") == "$0.255"
    assert format_money(D("3.5"), "SEK") == "SEK 3.50"


def test_unwrap_ocpi_object_variants():
    obj = {"id": "1", "currency": "EUR", "elements": []}
    assert unwrap_ocpi_object(obj) is obj
    assert unwrap_ocpi_object({"data": obj, "status_code": 1000}) is obj
    assert unwrap_ocpi_object([obj]) is obj
    assert unwrap_ocpi_object({"data": [obj], "status_code": 1000}) is obj
    with pytest.raises(ValueError):
        unwrap_ocpi_object([obj, obj])


def test_timeline_from_cdr_periods_with_reservation_and_mixed_period():
    cdr = {
        "start_date_time": "2024-05-10T09:45:00Z",
        "end_date_time": "2024-05-10T11:30:00Z",
        "charging_periods": [
            {"start_date_time": "2024-05-10T09:45:00Z", "dimensions": [{"type": "RESERVATION_TIME", "volume": 0.25}]},
            {
                "start_date_time": "2024-05-10T10:00:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 10},
                    {"type": "TIME", "volume": 1},
                    {"type": "MAX_POWER", "volume": 11},
                ],
            },
            {
                "start_date_time": "2024-05-10T11:00:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 1},
                    {"type": "TIME", "volume": 0.25},
                    {"type": "PARKING_TIME", "volume": 0.25},
                ],
            },
        ],
    }
    tl = timeline_from_cdr(cdr)
    assert tl.reservation is not None and tl.reservation.seconds == 900
    assert tl.start == dt.datetime(2024, 5, 10, 10, tzinfo=dt.UTC)
    assert [(i.charging, i.seconds, i.energy_kwh) for i in tl.intervals] == [
        (True, 3600, 10),
        (True, 900, 1),
        (False, 900, 0),
    ]
    assert tl.intervals[0].max_power_kw == 11
