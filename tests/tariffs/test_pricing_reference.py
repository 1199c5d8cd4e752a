"""The optimised pricing engine against the reference algorithm it replaced (issue 13), on random tariffs and
sessions (hypothesis): every result, period by period, must be identical.

The reference parts are the straightforward versions: local boundaries recomputed for every session (no per-day or
per-year cache), element lookup scanning each element's components (no per-tariff compiled table, no cache for
unrestricted tariffs), and periods aggregated with ``sum``/``min``/``max`` even for one atom and built with the
dataclass constructor. They are patched into ``segments`` and ``engine``, where the engine calls its parts.
"""

import datetime as dt

import pytest
from hypothesis import given

from roaming.core import time as core_time
from roaming.tariffs.pricing import engine, matching, price_session, segments
from roaming.tariffs.pricing.money import ZERO
from roaming.tariffs.pricing.tariff import Dimension
from roaming.tariffs.pricing.timeline import seconds_between
from tests.tariffs.test_pricing_properties import SETTINGS, tariffs, timelines


def reference_local_boundaries(zone, times, start, end):
    if end <= start:
        return []
    cuts = set()
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last_day = end.astimezone(zone).date() + dt.timedelta(days=1)
    fixed_offset = zone is core_time.UTC
    while day <= last_day:
        for t in times:
            naive = dt.datetime.combine(day, t)
            for fold in (0,) if fixed_offset else (0, 1):
                instant = naive.replace(tzinfo=zone, fold=fold).astimezone(core_time.UTC)
                if start < instant < end:
                    cuts.add(instant)
        day += dt.timedelta(days=1)
    if not fixed_offset:
        cuts.update(core_time._offset_changes(zone, start, end))
    return sorted(cuts)


def _reference_first(elements, dimension, matched, atom, local):
    for index, element in elements:
        component = element.component(dimension)
        if component is None:
            continue
        ok = matched.get(index)
        if ok is None:
            ok = matched[index] = matching.matches(element.restrictions, atom, local)
        if ok:
            return engine.AppliedComponent(index, component)
    return None


def reference_lookup(tariff, atom, zone, expired):
    """Element lookup by scanning every element's components (no candidate table, no unrestricted cache)."""
    local = atom.start.astimezone(zone) if tariff.has_calendar_restrictions else None
    matched, found = {}, {}
    if atom.kind == engine.PeriodKind.RESERVATION:
        time = _reference_first(tariff.expiry_elements, Dimension.TIME, matched, atom, local) if expired else None
        if time is None:
            time = _reference_first(tariff.reservation_elements, Dimension.TIME, matched, atom, local)
        flat = _reference_first(tariff.reservation_elements, Dimension.FLAT, matched, atom, local)
        expiry = _reference_first(tariff.expiry_elements, Dimension.FLAT, matched, atom, local) if expired else None
        for key, value in ((Dimension.TIME, time), (Dimension.FLAT, flat), (engine.EXPIRY_FLAT, expiry)):
            if value is not None:
                found[key] = value
        return found
    dims = (Dimension.ENERGY, Dimension.FLAT)
    dims += (Dimension.TIME,) if atom.kind == engine.PeriodKind.CHARGING else (Dimension.PARKING_TIME,)
    for dim in dims:
        applied = _reference_first(tariff.session_elements, dim, matched, atom, local)
        if applied is not None:
            found[dim] = applied
    return found


def _agg(fn, values):
    known = [v for v in values if v is not None]
    return fn(known) if known else None


def reference_merge(atoms, tariff_id):
    periods, group = [], []

    def flush():
        if not group:
            return
        first, last = group[0], group[-1]
        periods.append(
            engine.PricedPeriod(
                index=len(periods),
                start=first.start,
                end=last.end,
                kind=first.kind,
                energy_kwh=sum((a.energy for a in group), ZERO),
                seconds=seconds_between(first.start, last.end),
                min_power_kw=_agg(min, [a.min_power for a in group]),
                max_power_kw=_agg(max, [a.max_power for a in group]),
                min_current_a=_agg(min, [a.min_current for a in group]),
                max_current_a=_agg(max, [a.max_current for a in group]),
                components=first.components,
                tariff_id=tariff_id,
            )
        )
        group.clear()

    for atom in atoms:
        if group and (
            atom.kind != group[-1].kind or atom.components != group[-1].components or atom.start != group[-1].end
        ):
            flush()
        group.append(atom)
    flush()
    return periods


def _reference_price(tariff, timeline):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(segments, "local_boundaries", reference_local_boundaries)
        patch.setattr(
            engine, "lookup", lambda compiled, atom, zone, expired: reference_lookup(tariff, atom, zone, expired)
        )
        patch.setattr(engine, "merge", reference_merge)
        return price_session(tariff, timeline)


@SETTINGS
@given(tariffs(), timelines())
def test_the_optimised_engine_prices_exactly_like_the_reference(tariff, timeline):
    optimised = price_session(tariff, timeline)
    reference = _reference_price(tariff, timeline)

    assert optimised == reference
    assert optimised.to_ocpi() == reference.to_ocpi()
    assert [str(p.energy_kwh) for p in optimised.periods] == [str(p.energy_kwh) for p in reference.periods]


@SETTINGS
@given(timelines())
def test_cached_local_boundaries_equal_the_reference(timeline):
    zone = core_time.get_zone(timeline.time_zone)
    times = (dt.time(0), dt.time(2, 30), dt.time(7), dt.time(17, 45))
    start, end = timeline.start - dt.timedelta(days=1), timeline.end + dt.timedelta(days=40)

    assert core_time.local_boundaries(zone, times, start, end) == reference_local_boundaries(zone, times, start, end)
