"""Property tests (hypothesis) for the pricing engine: costs are never negative, never decrease when a session
grows, and the charging periods partition the session exactly."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roaming.tariffs.pricing import Interval, Reservation, Timeline, parse_tariff, price_session

D = Decimal
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

money = st.decimals(min_value=0, max_value=5, places=2, allow_nan=False, allow_infinity=False)
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30]))


@st.composite
def restrictions(draw, *, volume_based: bool = True):
    r: dict = {}
    if draw(st.booleans()):
        r["start_time"] = draw(hhmm)
    if draw(st.booleans()):
        r["end_time"] = draw(hhmm)
    if draw(st.booleans()):
        r["day_of_week"] = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    if draw(st.booleans()):
        r["min_duration"] = draw(st.integers(0, 4 * 3600))
    if draw(st.booleans()):
        r["max_duration"] = draw(st.integers(1, 6 * 3600))
    if volume_based:
        if draw(st.booleans()):
            r["min_kwh"] = str(draw(st.decimals(min_value=0, max_value=40, places=1)))
        if draw(st.booleans()):
            r["max_kwh"] = str(draw(st.decimals(min_value=1, max_value=60, places=1)))
        if draw(st.booleans()):
            r["min_power"] = draw(st.sampled_from([3.7, 7.4, 11, 22, 50]))
        if draw(st.booleans()):
            r["max_power"] = draw(st.sampled_from([3.7, 7.4, 11, 22, 50, 150]))
        if draw(st.booleans()):
            r["max_current"] = draw(st.sampled_from([16, 32, 63]))
    return r


@st.composite
def tariffs(draw, *, volume_based: bool = True, time_steps=(1, 60, 300, 900), uniform: bool = False):
    """Random tariffs with non-negative prices.

    Each dimension uses one step_size throughout the tariff. With ``uniform`` every component of a dimension also
    has the same price and VAT, so restrictions only decide *whether* a dimension is priced: the spec bills the
    step_size round-up at the price of the *last* period, which makes cost non-monotone by design when prices
    differ between periods (more energy early at a low price shrinks the round-up billed at a higher price).
    """
    steps = {
        "ENERGY": draw(st.sampled_from([1, 100, 500, 1000])),
        "TIME": draw(st.sampled_from(time_steps)),
        "PARKING_TIME": draw(st.sampled_from(time_steps)),
        "FLAT": 1,
    }
    fixed = {dim: (str(draw(money)), draw(st.sampled_from([None, 0, 10, 21]))) for dim in steps}
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        dims = draw(st.lists(st.sampled_from(list(steps)), min_size=1, max_size=4, unique=True))
        components = []
        for dim in dims:
            price, vat = fixed[dim] if uniform else (str(draw(money)), draw(st.sampled_from([None, 0, 10, 21])))
            component = {"type": dim, "price": price, "step_size": steps[dim]}
            if vat is not None:
                component["vat"] = vat
            components.append(component)
        element = {"price_components": components}
        if draw(st.booleans()):
            element["restrictions"] = draw(restrictions(volume_based=volume_based))
        elements.append(element)
    if draw(st.booleans()):
        elements.insert(
            0,
            {
                "price_components": [{"type": "TIME", "price": str(draw(money)), "step_size": 60}],
                "restrictions": {"reservation": draw(st.sampled_from(["RESERVATION", "RESERVATION_EXPIRES"]))},
            },
        )
    data = {"id": "P", "currency": "EUR", "elements": elements}
    # Bounds carry incl_vat, as in the spec examples (without it the incl-VAT clamp scales with the session's mix
    # of VAT rates, which is covered by a unit test).
    if draw(st.booleans()):
        data["min_price"] = {"excl_vat": str(draw(money)), "incl_vat": str(draw(money))}
    if draw(st.booleans()):
        data["max_price"] = {"excl_vat": str(draw(money) * 10), "incl_vat": str(draw(money) * 12)}
    return parse_tariff(data)


@st.composite
def timelines(draw, *, charging_only: bool = False, reservation: bool = True, currents: bool = True):
    """Sessions of whole seconds: 1-5 intervals (charging or parking, with gaps unless ``charging_only``)."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    cursor = start
    intervals = []
    for _ in range(draw(st.integers(1, 5))):
        if not charging_only and draw(st.booleans()):
            cursor += dt.timedelta(seconds=draw(st.integers(1, 3600)))
        length = dt.timedelta(seconds=draw(st.integers(1, 4 * 3600)))
        charging = True if charging_only else draw(st.booleans())
        energy = draw(st.decimals(min_value=0, max_value=50, places=3)) if charging else D(0)
        current = draw(st.sampled_from([None, 10, 16, 32, 48])) if currents else None
        intervals.append(Interval(cursor, cursor + length, energy, charging=charging, current_a=current))
        cursor += length
    end = cursor + (dt.timedelta(0) if charging_only else dt.timedelta(seconds=draw(st.integers(0, 3600))))
    held = None
    if reservation and draw(st.booleans()):
        held = Reservation(start - dt.timedelta(seconds=draw(st.integers(1, 3600))), start)
    zone = draw(st.sampled_from(ZONES))
    return Timeline.from_intervals(intervals, time_zone=zone, start=start, end=end, reservation=held)


def _totals(result):
    return [result.exact[name] for name in result.exact]


@SETTINGS
@given(tariffs(), timelines())
def test_costs_are_never_negative(tariff, timeline):
    result = price_session(tariff, timeline)
    for price in [*_totals(result), result.total_cost]:
        assert price.excl_vat >= 0
        assert price.incl_vat is None or price.incl_vat >= 0
    for period in result.periods:
        assert all(cost.excl_vat >= 0 for cost in period.costs.values())


@SETTINGS
@given(tariffs(), timelines())
def test_periods_partition_the_session(tariff, timeline):
    result = price_session(tariff, timeline)
    periods = result.periods
    session = [p for p in periods if p.kind.value != "RESERVATION"]
    # Contiguous, covering the reservation (if any) and the session exactly.
    assert periods[0].start == (timeline.reservation.start if timeline.reservation else timeline.start)
    assert periods[-1].end == timeline.end
    assert all(a.end == b.start for a, b in zip(periods, periods[1:], strict=False))
    assert [p.index for p in periods] == list(range(len(periods)))
    # Volumes add up to the totals.
    assert sum(p.energy_kwh for p in periods) == timeline.total_energy_kwh == result.total_energy
    assert sum(p.seconds for p in session) == timeline.seconds
    assert abs(result.total_charging_time + result.total_parking_time - result.total_time) < D("1e-20")
    # Period costs add up to the (unrounded) category totals, and billed volumes never undercut used ones.
    energy_cost = sum(p.costs["ENERGY"].excl_vat for p in periods if "ENERGY" in p.costs)
    assert energy_cost == result.exact["total_energy_cost"].excl_vat
    uncapped = sum(c.excl_vat for p in periods for c in p.costs.values())
    assert abs(uncapped - result.uncapped_total.excl_vat) < D("1e-20")
    assert result.billed_energy >= sum(p.energy_kwh for p in periods if "ENERGY" in p.components)
    # OCPI output: one ChargingPeriod per period, UTC with Z.
    assert len(result.charging_periods) == len(periods)
    assert all(cp["start_date_time"].endswith("Z") for cp in result.charging_periods)


def _grow_energy(timeline: Timeline, index: int, factor: Decimal) -> Timeline:
    intervals = list(timeline.intervals)
    iv = intervals[index]
    intervals[index] = Interval(iv.start, iv.end, iv.energy_kwh * factor + D("0.5"), charging=True)
    return Timeline.from_intervals(
        intervals,
        time_zone=timeline.time_zone,
        start=timeline.start,
        end=timeline.end,
        reservation=timeline.reservation,
    )


def _assert_not_less(bigger, smaller):
    assert bigger.total_cost.excl_vat >= smaller.total_cost.excl_vat
    if bigger.total_cost.incl_vat is not None and smaller.total_cost.incl_vat is not None:
        assert bigger.total_cost.incl_vat >= smaller.total_cost.incl_vat


@SETTINGS
@given(
    tariffs(volume_based=False, uniform=True),
    timelines(charging_only=True, currents=False),
    st.integers(0, 4),
    st.decimals(min_value=1, max_value=3, places=2),
)
def test_cost_never_decreases_when_energy_grows(tariff, timeline, which, factor):
    # Energy-, power- and current-based restrictions are left out: with those, more energy legitimately moves
    # later energy to another (possibly cheaper) element.
    index = which % len(timeline.intervals)
    before = price_session(tariff, timeline)
    after = price_session(tariff, _grow_energy(timeline, index, factor))
    assert after.total_energy > before.total_energy
    _assert_not_less(after, before)


@SETTINGS
@given(tariffs(uniform=True), timelines(charging_only=True), st.integers(1, 3 * 3600))
def test_cost_never_decreases_when_charging_lasts_longer(tariff, timeline, seconds):
    before = price_session(tariff, timeline)
    after = price_session(tariff, timeline.extended(dt.timedelta(seconds=seconds)))
    assert after.total_time > before.total_time
    _assert_not_less(after, before)


@SETTINGS
@given(tariffs(time_steps=(1,), uniform=True), timelines(), st.integers(1, 3 * 3600))
def test_cost_never_decreases_when_the_session_lasts_longer(tariff, timeline, seconds):
    # With parking involved, the spec rounds only the time dimension of the *last* priced time-based period, so a
    # longer session can drop an earlier rounding of charging time; with step_size 1 on whole seconds that rule has
    # no effect.
    before = price_session(tariff, timeline)
    after = price_session(tariff, timeline.extended(dt.timedelta(seconds=seconds)))
    _assert_not_less(after, before)
