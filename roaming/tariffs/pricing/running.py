"""A running session priced as its meter readings arrive (mod_sessions.asciidoc, Session ``charging_periods`` and
``total_cost``), without pricing it again from its start at every reading.

Rules 1-3 of :mod:`roaming.tariffs.pricing.engine` (segmentation, restrictions, first match) and the merge into
charging periods depend, for each interval of the session, only on that interval, the energy before it and the
session start: an interval's atoms never change when later intervals come. So a :class:`RunningPrice` keeps the
periods merged so far (the last one still growing) and segments, looks up and merges only the intervals added
since. Rules 4-9 (step_size, FLAT, VAT, min/max price, rounding) apply to the session's totals, so every
:meth:`RunningPrice.price` applies them to all its periods, with ``price_periods``, as ``price_session`` does.

The result is the one ``price_session`` gives for the whole timeline, by the same operations in the same order
(``tests/tariffs/test_pricing_running.py`` checks it on random tariffs and sessions). A running session has no
reservation (reservation time is priced on the CDR).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from roaming.core.time import get_zone

from .engine import price_periods
from .matching import compile_tariff, lookup
from .money import ZERO
from .result import PricingResult
from .segments import Atom, Run, empty_session_atom, fold, interval_atoms, time_cuts
from .tariff import Tariff
from .timeline import Interval, _as_utc, fill_gaps


@dataclass(frozen=True)
class RunningPrice:
    """The periods of a session's first intervals. Immutable: :meth:`extended` returns a new one (and shares the
    closed periods with this one), so a cached instance is safe to extend from several threads."""

    tariff: Tariff
    start: dt.datetime
    time_zone: str
    end: dt.datetime  # where the intervals given so far end
    energy: Decimal  # the session's energy up to ``end`` (kWh)
    runs: tuple[Run, ...] = ()  # the last one may still grow: never changed in place, copied first

    @classmethod
    def begin(cls, tariff: Tariff, start: dt.datetime, time_zone: str) -> RunningPrice:
        get_zone(time_zone)  # fail early on an unknown zone, as a Timeline does
        start = _as_utc(start)
        return cls(tariff, start, time_zone, start, ZERO)

    def extended(self, intervals: Iterable[Interval]) -> RunningPrice:
        """This session with ``intervals`` after the ones it holds (in time order; a gap before one is parking, as in
        a ``Timeline``). Raises ``ValueError`` for an interval starting before the end of the previous one."""
        pieces, cursor = fill_gaps(intervals, self.end)
        if not pieces:
            return self
        runs, energy = self._folded([p.resolved() for p in pieces], cursor)
        return RunningPrice(self.tariff, self.start, self.time_zone, cursor, energy, tuple(runs))

    def price(self, end: dt.datetime | None = None) -> PricingResult:
        """The session's price if it ended at ``end`` (default: where its intervals end; later: parking until then,
        as a ``Timeline`` fills it)."""
        end = self.end if end is None else _as_utc(end)
        if end < self.end:
            raise ValueError(f"the session ends before its last interval: {end} < {self.end}")
        runs = list(self.runs)
        if end > self.end:
            runs, _ = self._folded([Interval(self.end, end, charging=False).resolved()], end)
        if not runs:
            atom = empty_session_atom(self.start, end)
            atom.components = lookup(compile_tariff(self.tariff), atom, get_zone(self.time_zone), False)
            runs = [Run(atom)]
        periods = [run.period(index, self.tariff.id) for index, run in enumerate(runs)]
        return price_periods(self.tariff, periods, start=self.start, end=end, time_zone=self.time_zone)

    def _folded(self, resolved: list[Interval], until: dt.datetime) -> tuple[list[Run], Decimal]:
        """The runs with ``resolved`` intervals (from ``self.end`` to ``until``) merged in, and the energy after them;
        this instance's runs are left as they are."""
        compiled = compile_tariff(self.tariff)
        zone = get_zone(self.time_zone)
        cuts = time_cuts(compiled, zone, self.start, self.end, until)
        atoms: list[Atom] = []
        energy = self.energy
        for interval in resolved:
            energy = interval_atoms(compiled, interval, self.start, cuts, energy, atoms.append)
        for atom in atoms:
            atom.components = lookup(compiled, atom, zone, False)
        runs = list(self.runs)
        if runs:
            runs[-1] = runs[-1].copy()  # the only run ``fold`` may change
        fold(runs, atoms)
        return runs, energy
