"""Segmentation: a session cut into pieces ("atoms") wherever the applicable price component could change, and
adjacent pieces priced alike merged into charging periods.

Rule 1 of :mod:`roaming.tariffs.pricing.engine` (mod_cdrs.asciidoc §ChargingPeriod): cuts at local wall-clock
times named by the tariff and local midnight (with DST transitions), at ``min_duration``/``max_duration`` crossings,
at ``min_kwh``/``max_kwh`` crossings (energy interpolated linearly inside an interval) and at the intervals' edges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from roaming.core.time import cuts_between, local_boundaries

from .matching import CompiledTariff
from .money import ZERO
from .result import AppliedComponent, PeriodKind, PricedPeriod, build_frozen
from .timeline import Timeline, seconds_between

_ENERGY_QUANTUM = Decimal("1e-9")  # kWh (1 µWh): interpolated cumulative energy is kept on this grid
_CHARGING = PeriodKind.CHARGING
_PARKING = PeriodKind.PARKING
_RESERVATION = PeriodKind.RESERVATION


@dataclass(slots=True)
class Atom:
    """A piece of the session in which no restriction can change its verdict.

    ``energy_before`` is the session's energy before the piece; ``elapsed`` the seconds since the session (or
    reservation) start at ``start``, worked out only for tariffs with ``min_duration``/``max_duration`` (else
    ``None``: nothing reads it).
    """

    start: dt.datetime
    end: dt.datetime
    kind: PeriodKind
    energy: Decimal
    energy_before: Decimal
    elapsed: Decimal | None
    min_power: Decimal | None
    max_power: Decimal | None
    min_current: Decimal | None
    max_current: Decimal | None
    components: dict[str, AppliedComponent] | None = None


def _time_cuts(
    compiled: CompiledTariff, zone: dt.tzinfo, origin: dt.datetime, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    cuts: set[dt.datetime] = set()
    if compiled.calendar:
        cuts.update(local_boundaries(zone, compiled.boundary_times, start, end))
    for seconds in compiled.duration_thresholds:
        instant = origin + dt.timedelta(seconds=seconds)
        if start < instant < end:
            cuts.add(instant)
    return sorted(cuts)


def _interpolate(start: dt.datetime, end: dt.datetime, fraction: Decimal) -> dt.datetime:
    micros = (seconds_between(start, end) * fraction * 1_000_000).to_integral_value()
    return start + dt.timedelta(microseconds=int(micros))


def session_atoms(compiled: CompiledTariff, timeline: Timeline, zone: dt.tzinfo) -> list[Atom]:
    """The session's atoms in time order (an empty session still gets one, so a start fee can apply)."""
    origin = timeline.start
    cuts = _time_cuts(compiled, zone, origin, origin, timeline.end)
    thresholds = compiled.kwh_thresholds
    durations = compiled.uses_duration
    atoms: list[Atom] = []
    append = atoms.append
    cumulative = ZERO
    for iv in timeline.intervals:
        kind = _CHARGING if iv.charging else _PARKING
        iv_start, iv_end, iv_energy = iv.start, iv.end, iv.energy_kwh
        min_p, max_p, min_c, max_c = iv.min_power_kw, iv.max_power_kw, iv.min_current_a, iv.max_current_a
        if iv_start == iv_end:
            if iv_energy:
                elapsed = seconds_between(origin, iv_start) if durations else None
                append(Atom(iv_start, iv_end, kind, iv_energy, cumulative, elapsed, min_p, max_p, min_c, max_c))
                cumulative += iv_energy
            continue
        inner = cuts_between(cuts, iv_start, iv_end) if cuts else ()
        total_seconds = iv.seconds if inner else None
        done = ZERO  # energy of this interval assigned so far
        a = iv_start
        for b in (*inner, iv_end):
            if b == iv_end:
                upto = iv_energy
            else:
                fraction = seconds_between(iv_start, b) / total_seconds
                upto = (iv_energy * fraction).quantize(_ENERGY_QUANTUM)
            energy = upto - done
            done = upto
            # Cut again where the session's cumulative energy crosses a min_kwh/max_kwh threshold.
            piece_start = a
            if energy > 0 and thresholds:
                for k in thresholds:
                    if cumulative < k < cumulative + energy:
                        part = k - cumulative
                        cut = _interpolate(piece_start, b, part / energy)
                        elapsed = seconds_between(origin, piece_start) if durations else None
                        append(Atom(piece_start, cut, kind, part, cumulative, elapsed, min_p, max_p, min_c, max_c))
                        cumulative = k
                        energy -= part
                        piece_start = cut
            elapsed = seconds_between(origin, piece_start) if durations else None
            append(Atom(piece_start, b, kind, energy, cumulative, elapsed, min_p, max_p, min_c, max_c))
            cumulative += energy
            a = b
    if not atoms and (timeline.reservation is None or not timeline.reservation.expired):
        # A zero-length session still gets a period so a start fee (FLAT) can apply.
        atoms.append(Atom(timeline.start, timeline.end, _PARKING, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO))
    return atoms


def reservation_atoms(compiled: CompiledTariff, timeline: Timeline, zone: dt.tzinfo) -> list[Atom]:
    """The reservation's atoms (none without a reservation); its ``elapsed`` counts from the reservation start."""
    reservation = timeline.reservation
    if reservation is None or reservation.end <= reservation.start:
        return []
    origin = reservation.start
    cuts = _time_cuts(compiled, zone, origin, origin, reservation.end)
    points = [origin, *cuts, reservation.end]
    durations = compiled.uses_duration
    return [
        Atom(a, b, _RESERVATION, ZERO, ZERO, seconds_between(origin, a) if durations else None, ZERO, ZERO, ZERO, ZERO)
        for a, b in pairwise(points)
    ]


def merge(atoms: list[Atom], tariff_id: str | None) -> list[PricedPeriod]:
    """Adjacent atoms of the same kind with the same components, as charging periods (volumes summed, power and
    current ranges widened)."""
    periods: list[PricedPeriod] = []
    count = len(atoms)
    i = 0
    while i < count:
        first = last = atoms[i]
        kind, components = first.kind, first.components
        j = i + 1
        while j < count:
            atom = atoms[j]
            if atom.kind != kind or atom.components != components or atom.start != last.end:
                break
            last = atom
            j += 1
        if j == i + 1:
            # Most periods are one atom: the aggregates are its own values (``ZERO +`` keeps sum()'s exponent).
            energy = ZERO + first.energy
            min_power, max_power = first.min_power, first.max_power
            min_current, max_current = first.min_current, first.max_current
        else:
            group = atoms[i:j]
            energy = sum((a.energy for a in group), ZERO)
            min_power = _agg(min, [a.min_power for a in group])
            max_power = _agg(max, [a.max_power for a in group])
            min_current = _agg(min, [a.min_current for a in group])
            max_current = _agg(max, [a.max_current for a in group])
        periods.append(
            build_frozen(
                PricedPeriod,
                {
                    "index": len(periods),
                    "start": first.start,
                    "end": last.end,
                    "kind": kind,
                    "energy_kwh": energy,
                    "seconds": seconds_between(first.start, last.end),
                    "min_power_kw": min_power,
                    "max_power_kw": max_power,
                    "min_current_a": min_current,
                    "max_current_a": max_current,
                    "components": components,
                    "billed": {},
                    "costs": {},
                    "tariff_id": tariff_id,
                },
            )
        )
        i = j
    return periods


def _agg(fn, values: list[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return fn(known) if known else None
