"""Price a charging session under an OCPI 2.2.1 Tariff.

Spec: ``mod_tariffs.asciidoc`` (§Tariff object, §TariffRestrictions, §PriceComponent, §ReservationRestrictionType and
the worked examples) and ``mod_cdrs.asciidoc`` (§ChargingPeriod, §step_size, §CDR object), branch
``release-2.2.1-bugfixes``. The rules implemented, in order:

1. **Segmentation** (mod_cdrs §ChargingPeriod). The session is cut into pieces wherever the applicable price
   component of any dimension could change: local wall-clock times named by any ``start_time``/``end_time`` and
   local midnight (dates, weekdays) in the location's time zone — both readings of DST-ambiguous times plus the DST
   transition instants themselves —, ``min_duration``/``max_duration`` crossings (seconds since *session* start; for
   reservation time since the reservation start), ``min_kwh``/``max_kwh`` crossings (energy interpolated linearly
   inside an interval), and the input intervals' own edges (power/current and charging↔parking changes). Adjacent
   pieces with the same kind and the same applicable component per dimension are merged into one charging period.

2. **Restrictions** (mod_tariffs §TariffRestrictions) are evaluated at each piece's start, in local time:
   ``start_time`` inclusive, ``end_time`` exclusive, ``end_time < start_time`` wraps past midnight, ``end_time``
   00:00 (or absent) = end of day, ``start_time == end_time`` = the whole day; ``start_date`` inclusive,
   ``end_date`` exclusive; ``day_of_week`` = the local weekday at that instant; ``min_kwh``/``min_duration``
   inclusive, ``max_kwh``/``max_duration`` exclusive; ``min_power``/``min_current`` hold when the piece's *minimum*
   is ≥ the bound and ``max_power``/``max_current`` when its *maximum* is < the bound (i.e. the condition held
   throughout the piece). Unknown current/power make those restrictions not match (with a warning).

3. **First match per dimension** (mod_tariffs §Tariff object): for each dimension the first element (list order)
   whose restrictions all hold and which has a component of that dimension supplies the price; no match = free.
   Elements with a ``reservation`` restriction price only reservation time; all others only the session.
   For an expired reservation the TIME price comes from the first matching ``RESERVATION_EXPIRES`` element with a
   TIME component, else from the ``RESERVATION`` elements (mod_tariffs §ReservationRestrictionType NOTE).

4. **Volumes**: ENERGY = kWh in the period (any kind); TIME = hours while the vehicle requests power; PARKING_TIME
   = hours while it does not (post-d2 erratum); reservation time = hours reserved, priced by the TIME component of
   the reservation element.

5. **step_size, once per session on totals** (mod_cdrs §step_size; mod_tariffs §PriceComponent, examples
   "switching to different Tariff Element" #1, #2 and "switching to Free-of-Charge Tariff Element"):

   * ENERGY: the billable energy (sum over periods that have an ENERGY component) is rounded *up* to a multiple of
     the ``step_size`` (Wh) of the ENERGY component of the last such period with energy; the extra energy is added
     to that period at its price. ``step_size`` 1 still rounds up to whole Wh (spec: 115.2 Wh is billed as 116 Wh).
   * TIME and PARKING_TIME are rounded once, together: the last period (in time) with a priced time-based volume —
     charging time under a TIME component or parking time under a PARKING_TIME component — decides. Its
     dimension's billable total is rounded up to a multiple of that component's ``step_size`` (seconds) and the extra
     time is added to that period; the other time dimension is not rounded ("the charging duration is not rounded
     up, as it is followed by another time based period"). Parking in a window without a PARKING_TIME component is
     free and not part of the billable total (tariff_14 example: 8 billable minutes → 15).
   * Reservation time is rounded separately (its own CDR dimension RESERVATION_TIME and cost total): its billable
     total is rounded up with the step of the last reservation period's TIME component (tariff_16/17 examples).
   * ``step_size`` ≤ 0 means no rounding; negative totals (V2G export) are not rounded; FLAT ignores step_size.

6. **FLAT** is charged once: the FLAT component that applies in the first period in which any FLAT component
   applies (normally the session start). Reservation elements add their own FLAT once (reservation fee), and an
   expired reservation additionally the FLAT of the first matching ``RESERVATION_EXPIRES`` element (expiry fee),
   per the tariff_16/17 examples. A session FLAT whose element has a PARKING_TIME but no ENERGY/TIME component is
   reported as parking cost (``total_parking_cost`` includes parking flats; ``total_fixed_cost`` excludes them),
   reservation flats as reservation cost (mod_cdrs §CDR object).

7. **VAT** per component: incl = excl * (1 + vat/100). A component without ``vat`` means "no VAT applicable"
   (mod_tariffs §PriceComponent), so by default its incl-VAT cost equals its excl-VAT cost. With
   ``vat_absent_means_unknown=True`` such a (non-zero) cost makes the incl-VAT figures it feeds ``None`` instead.

8. **min_price / max_price** (mod_tariffs §Tariff object NOTEs) clamp the *total* only, excl and incl VAT
   independently. The per-dimension totals are left as computed; the difference is reported as
   ``PricingResult.adjustment`` (and as a breakdown row). A bound without ``incl_vat`` moves the incl-VAT total by
   the same factor as the excl-VAT total (incl becomes unknown if the excl total was 0).

9. **Money rounding** (OCPI leaves it to law/contract, mod_tariffs §Tariff object NOTE): everything is computed
   with unrounded ``Decimal``. Each reported figure — every ``total_*_cost`` and ``total_cost`` — is rounded once,
   half-up, to the currency's ISO 4217 minor unit (after snapping to 18 decimals, which removes the residue of
   28-digit Decimal division so that an exact tie such as 0.005 rounds up). ``total_cost`` is computed from the
   *unrounded* dimension totals and then rounded, as in the spec's complex example (2.875 + 3.30 + 4.125 = 10.30),
   so it can differ by a minor unit from the sum of the rounded dimension totals. Unrounded values stay available
   in ``PricingResult.exact``; per-period costs are never rounded.

The tariff's own validity window (``start_date_time``/``end_date_time``) is not used to reject a session (tariff
selection is the caller's job) but produces a warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from roaming.core.time import cuts_between, get_zone, local_boundaries
from roaming.ocpi.datetimes import format_datetime

from .money import ZERO, Price
from .tariff import Dimension, PriceComponent, Restrictions, Tariff
from .timeline import HOUR, Interval, Timeline, seconds_between

ONE = Decimal(1)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)
_ENERGY_QUANTUM = Decimal("1e-9")  # kWh (1 µWh): interpolated cumulative energy is kept on this grid
_VOLUME_PLACES = Decimal("0.000001")

# Key in PricedPeriod.components/costs for the expiry fee of an expired reservation.
EXPIRY_FLAT = "FLAT_EXPIRY"


def _stamp(value: dt.datetime) -> str:
    """Priced periods may start mid-second: keep milliseconds (OCPI DateTime allows a fraction)."""
    return format_datetime(value, milliseconds=True)


class PeriodKind(StrEnum):
    RESERVATION = "RESERVATION"
    CHARGING = "CHARGING"
    PARKING = "PARKING"


class CostCategory(StrEnum):
    """The CDR cost totals (mod_cdrs §CDR object)."""

    FIXED = "total_fixed_cost"
    ENERGY = "total_energy_cost"
    TIME = "total_time_cost"
    PARKING = "total_parking_cost"
    RESERVATION = "total_reservation_cost"


# Iterating an enum class is slow; the engine does it per session, so once here.
_CATEGORIES = tuple(CostCategory)
_CATEGORY_VALUES = tuple(c.value for c in _CATEGORIES)
_ALL_KINDS = frozenset(PeriodKind)


@dataclass(frozen=True, slots=True)
class AppliedComponent:
    """A price component together with the index of the tariff element it came from."""

    element_index: int
    component: PriceComponent


@dataclass(frozen=True)
class PricedPeriod:
    """One charging period of the result with its measured and billed volumes and unrounded costs.

    ``billed`` holds billed volumes per dimension (ENERGY in kWh, TIME/PARKING_TIME/reservation TIME in hours,
    including any step_size extra); ``costs`` the unrounded cost per dimension (plus ``FLAT``/``FLAT_EXPIRY`` in
    the period where a flat fee was charged).
    """

    index: int
    start: dt.datetime
    end: dt.datetime
    kind: PeriodKind
    energy_kwh: Decimal
    seconds: Decimal
    min_power_kw: Decimal | None
    max_power_kw: Decimal | None
    min_current_a: Decimal | None
    max_current_a: Decimal | None
    components: dict[str, AppliedComponent]
    billed: dict[str, Decimal] = field(default_factory=dict)
    costs: dict[str, Price] = field(default_factory=dict)
    tariff_id: str | None = None

    @property
    def hours(self) -> Decimal:
        return self.seconds / HOUR

    def to_ocpi(self) -> dict[str, Any]:
        """OCPI ChargingPeriod (mod_cdrs §ChargingPeriod): measured volumes, not billed ones."""
        dims: list[dict[str, Any]] = []
        if self.kind == PeriodKind.RESERVATION:
            dims.append({"type": "RESERVATION_TIME", "volume": ocpi_volume(self.hours)})
        else:
            if self.kind == PeriodKind.CHARGING or self.energy_kwh:
                dims.append({"type": "ENERGY", "volume": ocpi_volume(self.energy_kwh)})
            time_type = "TIME" if self.kind == PeriodKind.CHARGING else "PARKING_TIME"
            dims.append({"type": time_type, "volume": ocpi_volume(self.hours)})
            if self.kind == PeriodKind.CHARGING:
                for kind, value in (
                    ("MAX_CURRENT", self.max_current_a),
                    ("MIN_CURRENT", self.min_current_a),
                    ("MAX_POWER", self.max_power_kw),
                    ("MIN_POWER", self.min_power_kw),
                ):
                    if value is not None:
                        dims.append({"type": kind, "volume": ocpi_volume(value)})
        out: dict[str, Any] = {"start_date_time": _stamp(self.start), "dimensions": dims}
        if self.tariff_id is not None:
            out["tariff_id"] = self.tariff_id
        return out


@dataclass(frozen=True)
class FlatFee:
    """A flat fee charged once (see module docstring rule 6)."""

    category: CostCategory
    period_index: int
    applied: AppliedComponent
    cost: Price
    expiry: bool = False


@dataclass(frozen=True)
class PricingResult:
    """Outcome of :func:`price_session`. Cost totals are rounded ``Price`` objects; ``exact`` keeps them unrounded."""

    currency: str
    tariff_id: str | None
    time_zone: str
    periods: tuple[PricedPeriod, ...]
    exact: dict[str, Price]
    uncapped_total: Price
    adjustment: Price | None
    adjustment_reason: str | None
    flat_fees: tuple[FlatFee, ...]
    total_energy: Decimal
    total_time: Decimal
    total_charging_time: Decimal
    total_parking_time: Decimal
    total_reservation_time: Decimal
    billed_energy: Decimal
    billed_time: Decimal
    billed_parking_time: Decimal
    billed_reservation_time: Decimal
    start: dt.datetime
    end: dt.datetime
    warnings: tuple[str, ...] = ()

    def _rounded(self, name: str) -> Price:
        return self.exact[name].rounded(self.currency)

    @property
    def total_cost(self) -> Price:
        return self._rounded("total_cost")

    @property
    def total_fixed_cost(self) -> Price:
        return self._rounded(CostCategory.FIXED)

    @property
    def total_energy_cost(self) -> Price:
        return self._rounded(CostCategory.ENERGY)

    @property
    def total_time_cost(self) -> Price:
        return self._rounded(CostCategory.TIME)

    @property
    def total_parking_cost(self) -> Price:
        return self._rounded(CostCategory.PARKING)

    @property
    def total_reservation_cost(self) -> Price:
        return self._rounded(CostCategory.RESERVATION)

    @property
    def charging_periods(self) -> list[dict[str, Any]]:
        """OCPI-shaped ChargingPeriods (``start_date_time`` with ``Z``, ``dimensions``, ``tariff_id``)."""
        return [p.to_ocpi() for p in self.periods]

    def to_ocpi(self) -> dict[str, Any]:
        """The CDR fields this computation determines (mod_cdrs §CDR object), numbers as ``Decimal``.

        Optional cost totals are included only when the session used that category (a non-zero amount or a
        priced volume), ``total_cost`` always.
        """
        out: dict[str, Any] = {
            "currency": self.currency,
            "total_cost": self.total_cost.to_ocpi(),
            "total_energy": ocpi_volume(self.total_energy),
            "total_time": ocpi_volume(self.total_time),
            "total_parking_time": ocpi_volume(self.total_parking_time),
            "charging_periods": self.charging_periods,
        }
        used = self._used_categories()
        for category in CostCategory:
            if category in used:
                out[category.value] = self._rounded(category).to_ocpi()
        return out

    def _used_categories(self) -> set[str]:
        used = {fee.category.value for fee in self.flat_fees}
        for p in self.periods:
            for dim in p.costs:
                if dim == Dimension.ENERGY:
                    used.add(CostCategory.ENERGY)
                elif dim == Dimension.PARKING_TIME:
                    used.add(CostCategory.PARKING)
                elif dim == Dimension.TIME:
                    used.add(CostCategory.RESERVATION if p.kind == PeriodKind.RESERVATION else CostCategory.TIME)
        return {str(u) for u in used}


# ------------------------------------------------------------------------------------------------- helpers


def ocpi_volume(value: Decimal) -> Decimal:
    """Volume for OCPI output: at most 6 decimals, no exponent notation, no trailing zeros."""
    q = value.quantize(_VOLUME_PLACES)
    if q == q.to_integral_value():
        return q.quantize(ONE)
    return q.normalize()


def _ceil_to_step(value: Decimal, step: int) -> Decimal:
    """``value`` rounded up to a multiple of ``step`` (no rounding for step ≤ 0 or value ≤ 0)."""
    if step <= 0 or value <= 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def _incl(excl: Decimal, component: PriceComponent, vat_unknown: bool) -> Decimal | None:
    if component.vat is not None:
        return excl * (ONE + component.vat / HUNDRED)
    if vat_unknown and excl:
        return None
    return excl


# ------------------------------------------------------------------------------------------------- matching


@dataclass(slots=True)
class _Atom:
    start: dt.datetime
    end: dt.datetime
    kind: PeriodKind
    energy: Decimal
    energy_before: Decimal
    elapsed: Decimal  # seconds since session (or reservation) start at ``start``
    min_power: Decimal | None
    max_power: Decimal | None
    min_current: Decimal | None
    max_current: Decimal | None
    components: dict[str, AppliedComponent] = field(default_factory=dict)


def _time_of_day_ok(r: Restrictions, t: dt.time) -> bool:
    start = r.start_time or dt.time(0)
    end = r.end_time
    if end is None or end == dt.time(0):
        return t >= start  # until end of day
    if end > start:
        return start <= t < end
    if end < start:
        return t >= start or t < end  # wraps past midnight
    return True  # start == end: a full 24 h window


def _matches(r: Restrictions | None, atom: _Atom, local: dt.datetime | None) -> bool:
    if r is None:
        return True
    if local is not None:
        if (r.start_time is not None or r.end_time is not None) and not _time_of_day_ok(r, local.time()):
            return False
        day = local.date()
        if r.start_date is not None and day < r.start_date:
            return False
        if r.end_date is not None and day >= r.end_date:
            return False
        if r.day_of_week and local.weekday() not in r.day_of_week:
            return False
    if r.min_kwh is not None and atom.energy_before < r.min_kwh:
        return False
    if r.max_kwh is not None and atom.energy_before >= r.max_kwh:
        return False
    if r.min_duration is not None and atom.elapsed < r.min_duration:
        return False
    if r.max_duration is not None and atom.elapsed >= r.max_duration:
        return False
    if r.min_power is not None and (atom.min_power is None or atom.min_power < r.min_power):
        return False
    if r.max_power is not None and (atom.max_power is None or atom.max_power >= r.max_power):
        return False
    if r.min_current is not None and (atom.min_current is None or atom.min_current < r.min_current):
        return False
    return not (r.max_current is not None and (atom.max_current is None or atom.max_current >= r.max_current))


def _first(
    candidates: tuple[tuple[int, Restrictions | None, AppliedComponent], ...],
    matched: dict[int, bool],
    atom: _Atom,
    local: dt.datetime | None,
) -> AppliedComponent | None:
    """The first element (in tariff order) with a component in ``candidates``' dimension whose restrictions hold;
    each element's restrictions are evaluated at most once per atom (``matched``)."""
    for index, restrictions, applied in candidates:
        ok = matched.get(index)
        if ok is None:
            ok = matched[index] = _matches(restrictions, atom, local)
        if ok:
            return applied
    return None


def _lookup(tariff: Tariff, atom: _Atom, zone: dt.tzinfo, expired: bool) -> dict[str, AppliedComponent]:
    if not tariff.restriction_list:
        # Without restrictions every element matches every atom: the answer depends on the atom's kind alone.
        cache = _candidates(tariff)[_UNRESTRICTED]
        found = cache.get((atom.kind, expired))
        if found is None:
            found = cache[(atom.kind, expired)] = _lookup_matching(tariff, atom, None, expired)
        return dict(found)
    local = atom.start.astimezone(zone) if tariff.has_calendar_restrictions else None
    return _lookup_matching(tariff, atom, local, expired)


def _lookup_matching(
    tariff: Tariff, atom: _Atom, local: dt.datetime | None, expired: bool
) -> dict[str, AppliedComponent]:
    matched: dict[int, bool] = {}
    found: dict[str, AppliedComponent] = {}
    candidates = _candidates(tariff)
    if atom.kind == PeriodKind.RESERVATION:
        time = None
        if expired:
            time = _first(candidates[("expiry", Dimension.TIME)], matched, atom, local)
        if time is None:
            time = _first(candidates[("reservation", Dimension.TIME)], matched, atom, local)
        flat = _first(candidates[("reservation", Dimension.FLAT)], matched, atom, local)
        expiry = _first(candidates[("expiry", Dimension.FLAT)], matched, atom, local) if expired else None
        for key, value in ((Dimension.TIME, time), (Dimension.FLAT, flat), (EXPIRY_FLAT, expiry)):
            if value is not None:
                found[key] = value
        return found
    dims = _CHARGING_DIMS if atom.kind == PeriodKind.CHARGING else _PARKING_DIMS
    for dim in dims:
        applied = _first(candidates[("session", dim)], matched, atom, local)
        if applied is not None:
            found[dim] = applied
    return found


_NO_PRICE = Price(ZERO, ZERO)
_CHARGING_DIMS = (Dimension.ENERGY, Dimension.FLAT, Dimension.TIME)
_PARKING_DIMS = (Dimension.ENERGY, Dimension.FLAT, Dimension.PARKING_TIME)
_CANDIDATES_ATTR = "_engine_candidates"
_UNRESTRICTED = ("unrestricted", "")


def _candidates(tariff: Tariff) -> dict[tuple[str, str], tuple[tuple[int, Restrictions | None, AppliedComponent], ...]]:
    """Per element group and dimension, the elements that have such a component, in tariff order, each with its
    restrictions and its ``AppliedComponent``: built once per tariff (a tariff prices many sessions)."""
    cached = tariff.__dict__.get(_CANDIDATES_ATTR)
    if cached is not None:
        return cached
    groups = {
        "session": tariff.session_elements,
        "reservation": tariff.reservation_elements,
        "expiry": tariff.expiry_elements,
    }
    table = {}
    for group, elements in groups.items():
        for dim in Dimension:
            rows = []
            for index, element in elements:
                component = element.component(dim)
                if component is not None:
                    rows.append((index, element.restrictions, AppliedComponent(index, component)))
            table[(group, str(dim))] = tuple(rows)
    table[_UNRESTRICTED] = {}  # (kind, expired) -> components, for tariffs without any restriction
    # Tariff is a frozen dataclass; like its cached_property facts, this cache lives in the instance's __dict__.
    tariff.__dict__[_CANDIDATES_ATTR] = table
    return table


# ------------------------------------------------------------------------------------------------- segmentation


def _time_cuts(tariff: Tariff, zone: dt.tzinfo, origin: dt.datetime, start: dt.datetime, end: dt.datetime) -> list:
    cuts: set[dt.datetime] = set()
    if tariff.has_calendar_restrictions:
        cuts.update(local_boundaries(zone, tariff.boundary_times, start, end))
    for seconds in tariff.duration_thresholds:
        instant = origin + dt.timedelta(seconds=seconds)
        if start < instant < end:
            cuts.add(instant)
    return sorted(cuts)


def _interpolate(start: dt.datetime, end: dt.datetime, fraction: Decimal) -> dt.datetime:
    micros = (seconds_between(start, end) * fraction * 1_000_000).to_integral_value()
    return start + dt.timedelta(microseconds=int(micros))


def _session_atoms(tariff: Tariff, timeline: Timeline, zone: dt.tzinfo) -> list[_Atom]:
    cuts = _time_cuts(tariff, zone, timeline.start, timeline.start, timeline.end)
    thresholds = tariff.kwh_thresholds
    atoms: list[_Atom] = []
    cumulative = ZERO
    for iv in timeline.intervals:
        kind = PeriodKind.CHARGING if iv.charging else PeriodKind.PARKING
        if iv.start == iv.end:
            if iv.energy_kwh:
                atoms.append(_atom(timeline, iv, kind, iv.start, iv.end, iv.energy_kwh, cumulative))
                cumulative += iv.energy_kwh
            continue
        points = [iv.start, *cuts_between(cuts, iv.start, iv.end), iv.end]
        total_seconds = iv.seconds
        done = ZERO  # energy of this interval assigned so far
        for a, b in pairwise(points):
            if b == iv.end:
                upto = iv.energy_kwh
            else:
                fraction = seconds_between(iv.start, b) / total_seconds
                upto = (iv.energy_kwh * fraction).quantize(_ENERGY_QUANTUM)
            energy = upto - done
            done = upto
            # Cut again where the session's cumulative energy crosses a min_kwh/max_kwh threshold.
            piece_start = a
            if energy > 0 and thresholds:
                for k in thresholds:
                    if cumulative < k < cumulative + energy:
                        part = k - cumulative
                        cut = _interpolate(piece_start, b, part / energy)
                        atoms.append(_atom(timeline, iv, kind, piece_start, cut, part, cumulative))
                        cumulative = k
                        energy -= part
                        piece_start = cut
            atoms.append(_atom(timeline, iv, kind, piece_start, b, energy, cumulative))
            cumulative += energy
    if not atoms and (timeline.reservation is None or not timeline.reservation.expired):
        # A zero-length session still gets a period so a start fee (FLAT) can apply.
        atoms.append(_Atom(timeline.start, timeline.end, PeriodKind.PARKING, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO))
    return atoms


def _atom(
    timeline: Timeline,
    iv: Interval,
    kind: PeriodKind,
    start: dt.datetime,
    end: dt.datetime,
    energy: Decimal,
    before: Decimal,
) -> _Atom:
    return _Atom(
        start,
        end,
        kind,
        energy,
        before,
        seconds_between(timeline.start, start),
        iv.min_power_kw,
        iv.max_power_kw,
        iv.min_current_a,
        iv.max_current_a,
    )


def _reservation_atoms(tariff: Tariff, timeline: Timeline, zone: dt.tzinfo) -> list[_Atom]:
    reservation = timeline.reservation
    if reservation is None or reservation.end <= reservation.start:
        return []
    cuts = _time_cuts(tariff, zone, reservation.start, reservation.start, reservation.end)
    points = [reservation.start, *cuts, reservation.end]
    return [
        _Atom(a, b, PeriodKind.RESERVATION, ZERO, ZERO, seconds_between(reservation.start, a), ZERO, ZERO, ZERO, ZERO)
        for a, b in pairwise(points)
    ]


def _merge(atoms: list[_Atom], tariff_id: str | None) -> list[PricedPeriod]:
    periods: list[PricedPeriod] = []
    group: list[_Atom] = []

    def flush() -> None:
        if not group:
            return
        first, last = group[0], group[-1]
        if len(group) == 1:
            # Most periods are one atom: the aggregates are its own values (``ZERO +`` keeps sum()'s exponent).
            energy = ZERO + first.energy
            min_power, max_power = first.min_power, first.max_power
            min_current, max_current = first.min_current, first.max_current
        else:
            energy = sum((a.energy for a in group), ZERO)
            min_power = _agg(min, [a.min_power for a in group])
            max_power = _agg(max, [a.max_power for a in group])
            min_current = _agg(min, [a.min_current for a in group])
            max_current = _agg(max, [a.max_current for a in group])
        periods.append(
            PricedPeriod(
                index=len(periods),
                start=first.start,
                end=last.end,
                kind=first.kind,
                energy_kwh=energy,
                seconds=seconds_between(first.start, last.end),
                min_power_kw=min_power,
                max_power_kw=max_power,
                min_current_a=min_current,
                max_current_a=max_current,
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


def _agg(fn, values: list[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return fn(known) if known else None


# ------------------------------------------------------------------------------------------------- pricing


def _apply_step(
    periods: list[PricedPeriod], dimension: str, kinds: set[PeriodKind], billed: dict[int, Decimal]
) -> None:
    """Round the billable total of ``dimension`` (over periods of ``kinds``) up with the last period's step_size and
    add the extra volume to that last period (module docstring rule 5). ``billed`` maps period index → volume in the
    step unit (Wh or seconds) and is updated in place."""
    candidates = [p for p in periods if p.kind in kinds and dimension in p.components and billed.get(p.index, ZERO) > 0]
    if not candidates:
        return
    last = candidates[-1]
    step = last.components[dimension].component.step_size
    total = sum((billed[p.index] for p in periods if p.kind in kinds and p.index in billed), ZERO)
    extra = _ceil_to_step(total, step) - total
    if extra > 0:
        billed[last.index] += extra


def price_session(tariff: Tariff, timeline: Timeline, *, vat_absent_means_unknown: bool = False) -> PricingResult:
    """Price ``timeline`` under ``tariff`` following the rules in this module's docstring."""
    zone = get_zone(timeline.time_zone)
    warnings: list[str] = []
    reservation = timeline.reservation
    expired = bool(reservation and reservation.expired)

    atoms = _reservation_atoms(tariff, timeline, zone) + _session_atoms(tariff, timeline, zone)
    for atom in atoms:
        atom.components = _lookup(tariff, atom, zone, expired)
    periods = _merge(atoms, tariff.id)
    _collect_warnings(tariff, timeline, periods, warnings)

    # Step 1: billable volumes per period in the step unit (Wh for energy, seconds for time).
    energy_wh: dict[int, Decimal] = {}
    session_secs: dict[int, Decimal] = {}
    reservation_secs: dict[int, Decimal] = {}
    for p in periods:
        if Dimension.ENERGY in p.components:
            energy_wh[p.index] = p.energy_kwh * THOUSAND
        time_dim = Dimension.PARKING_TIME if p.kind == PeriodKind.PARKING else Dimension.TIME
        if p.kind != PeriodKind.RESERVATION and time_dim in p.components:
            session_secs[p.index] = p.seconds
        elif p.kind == PeriodKind.RESERVATION and Dimension.TIME in p.components:
            reservation_secs[p.index] = p.seconds

    # Step 2: step_size once per session (rule 5).
    _apply_step(periods, Dimension.ENERGY, _ALL_KINDS, energy_wh)
    time_based = [p for p in periods if session_secs.get(p.index, ZERO) > 0]
    if time_based:
        last = time_based[-1]
        if last.kind == PeriodKind.CHARGING:
            _apply_step(periods, Dimension.TIME, {PeriodKind.CHARGING}, session_secs)
        else:
            _apply_step(periods, Dimension.PARKING_TIME, {PeriodKind.PARKING}, session_secs)
    _apply_step(periods, Dimension.TIME, {PeriodKind.RESERVATION}, reservation_secs)

    # Step 3: costs per period and dimension.
    totals: dict[str, Price] = dict.fromkeys(_CATEGORY_VALUES, _NO_PRICE)
    vat_unknown = vat_absent_means_unknown
    for p in periods:
        if p.index in energy_wh:
            comp = p.components[Dimension.ENERGY].component
            kwh = energy_wh[p.index] / THOUSAND
            p.billed[Dimension.ENERGY] = kwh
            excl = kwh * comp.price
            p.costs[Dimension.ENERGY] = cost = Price(excl, _incl(excl, comp, vat_unknown))
            totals[CostCategory.ENERGY] += cost
        for secs, category in ((session_secs, None), (reservation_secs, CostCategory.RESERVATION)):
            if p.index not in secs:
                continue
            dim = Dimension.PARKING_TIME if p.kind == PeriodKind.PARKING else Dimension.TIME
            comp = p.components[dim].component
            p.billed[dim] = secs[p.index] / HOUR
            excl = secs[p.index] * comp.price / HOUR  # multiply first: one inexact division instead of two
            p.costs[dim] = cost = Price(excl, _incl(excl, comp, vat_unknown))
            if category is None:
                category = CostCategory.PARKING if dim == Dimension.PARKING_TIME else CostCategory.TIME
            totals[category] += cost

    # Step 4: flat fees, once each (rule 6).
    flat_fees: list[FlatFee] = []
    charged: set[tuple[bool, str]] = set()  # (reservation?, FLAT key): one fee per context
    for p in periods:
        for key in (Dimension.FLAT, EXPIRY_FLAT):
            applied = p.components.get(key)
            context = (p.kind == PeriodKind.RESERVATION, str(key))
            if applied is None or context in charged:
                continue
            charged.add(context)
            comp = applied.component
            cost = Price(comp.price, _incl(comp.price, comp, vat_unknown))
            if p.kind == PeriodKind.RESERVATION:
                category = CostCategory.RESERVATION
            elif tariff.elements[applied.element_index].is_parking_only:
                category = CostCategory.PARKING
            else:
                category = CostCategory.FIXED
            p.costs[key] = cost
            totals[category] += cost
            flat_fees.append(FlatFee(category, p.index, applied, cost, expiry=key == EXPIRY_FLAT))

    uncapped = _NO_PRICE
    for category in _CATEGORIES:
        uncapped += totals[category]
    total, reason = _clamp(uncapped, tariff.min_price, tariff.max_price)
    adjustment = None if reason is None else total - uncapped
    exact = {**totals, "total_cost": total}

    seconds_by_kind = {PeriodKind.CHARGING: ZERO, PeriodKind.PARKING: ZERO, PeriodKind.RESERVATION: ZERO}
    for p in periods:
        seconds_by_kind[p.kind] += p.seconds

    session_seconds = timeline.seconds if not expired else ZERO
    return PricingResult(
        currency=tariff.currency,
        tariff_id=tariff.id,
        time_zone=timeline.time_zone,
        periods=tuple(periods),
        exact=exact,
        uncapped_total=uncapped,
        adjustment=adjustment,
        adjustment_reason=reason,
        flat_fees=tuple(flat_fees),
        total_energy=sum((p.energy_kwh for p in periods), ZERO),
        total_time=session_seconds / HOUR,
        total_charging_time=seconds_by_kind[PeriodKind.CHARGING] / HOUR,
        total_parking_time=seconds_by_kind[PeriodKind.PARKING] / HOUR,
        total_reservation_time=seconds_by_kind[PeriodKind.RESERVATION] / HOUR,
        billed_energy=sum((v for v in energy_wh.values()), ZERO) / THOUSAND,
        billed_time=sum((p.billed.get(Dimension.TIME, ZERO) for p in periods if p.kind == PeriodKind.CHARGING), ZERO),
        billed_parking_time=sum((p.billed.get(Dimension.PARKING_TIME, ZERO) for p in periods), ZERO),
        billed_reservation_time=sum(
            (p.billed.get(Dimension.TIME, ZERO) for p in periods if p.kind == PeriodKind.RESERVATION), ZERO
        ),
        start=reservation.start if reservation is not None else timeline.start,
        end=timeline.end,
        warnings=tuple(warnings),
    )


def _clamp(total: Price, min_price: Price | None, max_price: Price | None) -> tuple[Price, str | None]:
    """Apply min_price/max_price to excl and incl VAT independently (rule 8)."""
    excl, incl = total.excl_vat, total.incl_vat
    reasons: list[str] = []
    for bound, name, wants in ((min_price, "min_price", max), (max_price, "max_price", min)):
        if bound is None:
            continue
        new_excl = wants(excl, bound.excl_vat)
        if incl is not None:
            if bound.incl_vat is not None:
                new_incl = wants(incl, bound.incl_vat)
            elif new_excl != excl:
                new_incl = incl * new_excl / excl if excl else None
            else:
                new_incl = incl
        else:
            new_incl = None
        if new_excl != excl or new_incl != incl:
            reasons.append(name)
        excl, incl = new_excl, new_incl
    return Price(excl, incl), ("+".join(reasons) or None)


def _collect_warnings(tariff: Tariff, timeline: Timeline, periods: list[PricedPeriod], warnings: list[str]) -> None:
    uses_current = any(r.min_current is not None or r.max_current is not None for r in tariff.restriction_list)
    uses_power = any(r.min_power is not None or r.max_power is not None for r in tariff.restriction_list)
    for p in periods:
        if p.kind != PeriodKind.CHARGING:
            continue
        if uses_current and (p.min_current_a is None or p.max_current_a is None):
            warnings.append(
                f"current unknown from {_stamp(p.start)}: min/max_current restrictions treated as not matching"
            )
        if uses_power and (p.min_power_kw is None or p.max_power_kw is None):
            warnings.append(f"power unknown from {_stamp(p.start)}: min/max_power restrictions treated as not matching")
    moment = timeline.reservation.start if timeline.reservation is not None else timeline.start
    if tariff.start_date_time is not None and moment < tariff.start_date_time:
        warnings.append(f"session starts before the tariff is valid ({_stamp(tariff.start_date_time)})")
    if tariff.end_date_time is not None and moment >= tariff.end_date_time:
        warnings.append(f"session starts after the tariff ended ({_stamp(tariff.end_date_time)})")
