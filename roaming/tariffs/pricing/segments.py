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
from .timeline import Interval, Timeline, seconds_between

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


def time_cuts(
    compiled: CompiledTariff, zone: dt.tzinfo, origin: dt.datetime, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    """The time cuts strictly inside ``(start, end)`` of a session that started at ``origin``, sorted: wall-clock
    times, DST transitions and ``origin`` plus a duration. None depends on the range asked for, so a range gives
    the same instants as the whole session's cuts there (a running session asks only for its new intervals')."""
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
    cuts = time_cuts(compiled, zone, origin, origin, timeline.end)
    atoms: list[Atom] = []
    cumulative = ZERO
    for iv in timeline.intervals:
        cumulative = interval_atoms(compiled, iv, origin, cuts, cumulative, atoms.append)
    if not atoms and (timeline.reservation is None or not timeline.reservation.expired):
        atoms.append(empty_session_atom(timeline.start, timeline.end))
    return atoms


def empty_session_atom(start: dt.datetime, end: dt.datetime) -> Atom:
    """The one atom of a session without any: a zero-length session still gets a period so a start fee (FLAT) can
    apply."""
    return Atom(start, end, _PARKING, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def interval_atoms(
    compiled: CompiledTariff,
    iv: Interval,
    origin: dt.datetime,
    cuts: list[dt.datetime],
    cumulative: Decimal,
    append,
) -> Decimal:
    """Append the atoms of the resolved interval ``iv`` (``cumulative``: the session's energy before it; ``cuts``:
    sorted time cuts covering it); return the session's energy after it. An interval's atoms depend on nothing
    else, so a running session segments each interval once (``roaming.tariffs.pricing.running``)."""
    thresholds = compiled.kwh_thresholds
    durations = compiled.uses_duration
    kind = _CHARGING if iv.charging else _PARKING
    iv_start, iv_end, iv_energy = iv.start, iv.end, iv.energy_kwh
    min_p, max_p, min_c, max_c = iv.min_power_kw, iv.max_power_kw, iv.min_current_a, iv.max_current_a
    if iv_start == iv_end:
        if iv_energy:
            elapsed = seconds_between(origin, iv_start) if durations else None
            append(Atom(iv_start, iv_end, kind, iv_energy, cumulative, elapsed, min_p, max_p, min_c, max_c))
            cumulative += iv_energy
        return cumulative
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
    return cumulative


def reservation_atoms(compiled: CompiledTariff, timeline: Timeline, zone: dt.tzinfo) -> list[Atom]:
    """The reservation's atoms (none without a reservation); its ``elapsed`` counts from the reservation start."""
    reservation = timeline.reservation
    if reservation is None or reservation.end <= reservation.start:
        return []
    origin = reservation.start
    cuts = time_cuts(compiled, zone, origin, origin, reservation.end)
    points = [origin, *cuts, reservation.end]
    durations = compiled.uses_duration
    return [
        Atom(a, b, _RESERVATION, ZERO, ZERO, seconds_between(origin, a) if durations else None, ZERO, ZERO, ZERO, ZERO)
        for a, b in pairwise(points)
    ]


class Run:
    """Adjacent atoms of the same kind with the same components, merged as they come: a charging period being built
    (volumes summed in atom order from ``ZERO``, as ``sum()`` would; power and current ranges widened, the first of
    equal values kept, as ``min()``/``max()`` would)."""

    __slots__ = ("components", "end", "energy", "kind", "max_current", "max_power", "min_current", "min_power", "start")

    def __init__(self, atom: Atom) -> None:
        self.start, self.end, self.kind, self.components = atom.start, atom.end, atom.kind, atom.components
        self.energy = ZERO + atom.energy
        self.min_power, self.max_power = atom.min_power, atom.max_power
        self.min_current, self.max_current = atom.min_current, atom.max_current

    def copy(self) -> Run:
        run = Run.__new__(Run)
        for name in Run.__slots__:
            setattr(run, name, getattr(self, name))
        return run

    def add(self, atom: Atom) -> None:
        self.end = atom.end
        self.energy += atom.energy
        self.min_power = _widen(min, self.min_power, atom.min_power)
        self.max_power = _widen(max, self.max_power, atom.max_power)
        self.min_current = _widen(min, self.min_current, atom.min_current)
        self.max_current = _widen(max, self.max_current, atom.max_current)

    def period(self, index: int, tariff_id: str | None) -> PricedPeriod:
        return build_frozen(
            PricedPeriod,
            {
                "index": index,
                "start": self.start,
                "end": self.end,
                "kind": self.kind,
                "energy_kwh": self.energy,
                "seconds": seconds_between(self.start, self.end),
                "min_power_kw": self.min_power,
                "max_power_kw": self.max_power,
                "min_current_a": self.min_current,
                "max_current_a": self.max_current,
                "components": self.components,
                "billed": {},
                "costs": {},
                "tariff_id": tariff_id,
            },
        )


def fold(runs: list[Run], atoms: list[Atom]) -> None:
    """Merge ``atoms`` (in time order, components looked up) into ``runs``: the last run grows while they are
    priced alike and follow on, the others are never changed again."""
    last = runs[-1] if runs else None
    for atom in atoms:
        if (
            last is not None
            and atom.kind == last.kind
            and atom.start == last.end
            and atom.components == last.components
        ):
            last.add(atom)
        else:
            last = Run(atom)
            runs.append(last)


def merge(atoms: list[Atom], tariff_id: str | None) -> list[PricedPeriod]:
    """Adjacent atoms of the same kind with the same components, as charging periods (volumes summed, power and
    current ranges widened)."""
    runs: list[Run] = []
    fold(runs, atoms)
    return [run.period(index, tariff_id) for index, run in enumerate(runs)]


def _widen(fn, held: Decimal | None, value: Decimal | None) -> Decimal | None:
    if value is None:
        return held
    return value if held is None else fn(held, value)
