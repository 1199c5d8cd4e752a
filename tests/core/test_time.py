"""roaming.core.time: protocol-free clock, zone and local-boundary helpers."""

import datetime as dt

import pytest

from roaming.core.time import UTC, as_utc, cuts_between, get_zone, local_boundaries, utcnow


def test_utcnow_and_as_utc_are_aware_utc():
    assert utcnow().tzinfo is UTC
    assert as_utc(dt.datetime(2024, 1, 1, 12)) == dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert as_utc(dt.datetime(2024, 1, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))).hour == 12


def test_get_zone_names_and_refuses_unknown_ones():
    assert get_zone("") is UTC
    assert get_zone("Etc/UTC") is UTC
    assert str(get_zone("Europe/Amsterdam")) == "Europe/Amsterdam"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        get_zone("Mars/Base")


def test_local_boundaries_cut_at_local_times_and_at_dst_transitions():
    zone = get_zone("Europe/Amsterdam")
    # 2024-03-31: clocks jump from 02:00 CET to 03:00 CEST at 01:00 UTC.
    start, end = dt.datetime(2024, 3, 30, 20, tzinfo=UTC), dt.datetime(2024, 3, 31, 8, tzinfo=UTC)

    cuts = local_boundaries(zone, (dt.time(7, 0),), start, end)

    assert cuts == [dt.datetime(2024, 3, 31, 1, tzinfo=UTC), dt.datetime(2024, 3, 31, 5, tzinfo=UTC)]
    assert cuts_between(cuts, start, dt.datetime(2024, 3, 31, 5, tzinfo=UTC)) == cuts[:1]
    assert local_boundaries(zone, (dt.time(7, 0),), end, start) == []
