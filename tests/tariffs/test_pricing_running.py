"""A running session priced as its intervals arrive (roaming.tariffs.pricing.running) against the whole timeline
priced from its start (``price_session``), on random tariffs and sessions (hypothesis): after every batch of
intervals, and for any later end, the results must be identical, down to the Decimal exponents."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roaming.tariffs.pricing import Interval, RunningPrice, Timeline, parse_tariff, price_session
from tests.tariffs.test_pricing_properties import SETTINGS, tariffs, timelines


def _same(running, whole):
    assert running == whole
    assert running.to_ocpi() == whole.to_ocpi()
    assert [str(p.energy_kwh) for p in running.periods] == [str(p.energy_kwh) for p in whole.periods]
    assert {k: (str(v.excl_vat), str(v.incl_vat)) for k, v in running.exact.items()} == {
        k: (str(v.excl_vat), str(v.incl_vat)) for k, v in whole.exact.items()
    }


@SETTINGS
@given(tariffs(), timelines(reservation=False), st.data())
def test_a_running_session_is_priced_exactly_as_its_whole_timeline(tariff, timeline, data):
    intervals = list(timeline.intervals)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(intervals)), max_size=len(intervals))) | {len(intervals)})
    running = RunningPrice.begin(tariff, timeline.start, timeline.time_zone)
    _same(running.price(), price_session(tariff, Timeline(timeline.start, timeline.start, (), timeline.time_zone)))
    done = 0
    for cut in cuts:
        before = running
        running = running.extended(intervals[done:cut])
        done = cut
        end = intervals[cut - 1].end
        _same(
            running.price(), price_session(tariff, Timeline(timeline.start, end, intervals[:cut], timeline.time_zone))
        )
        # Ended later than its last interval: parked until then, as a Timeline fills it.
        later = end + dt.timedelta(seconds=data.draw(st.integers(1, 3 * 3600)))
        _same(
            running.price(later),
            price_session(tariff, Timeline(timeline.start, later, intervals[:cut], timeline.time_zone)),
        )
        # What it was extended from is unchanged (a cached one is extended again by the next reading).
        held = [i for i in intervals if i.end <= before.end]
        _same(before.price(), price_session(tariff, Timeline(timeline.start, before.end, held, timeline.time_zone)))


TARIFF = parse_tariff(
    {
        "id": "T",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]}],
    }
)
START = dt.datetime(2024, 5, 6, 7, 30, tzinfo=dt.UTC)


def test_a_gap_between_intervals_is_parking_and_an_overlap_is_refused():
    running = RunningPrice.begin(TARIFF, START, "Europe/Amsterdam").extended(
        [
            Interval(START, START + dt.timedelta(minutes=10), 5),
            Interval(START + dt.timedelta(minutes=20), START + dt.timedelta(minutes=30), 5),
        ]
    )
    assert [p.kind.value for p in running.price().periods] == ["CHARGING", "PARKING", "CHARGING"]
    with pytest.raises(ValueError, match="overlap"):
        running.extended([Interval(START + dt.timedelta(minutes=29), START + dt.timedelta(minutes=40), 1)])
    with pytest.raises(ValueError, match="ends before"):
        running.price(START + dt.timedelta(minutes=25))
