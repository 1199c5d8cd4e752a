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

Where the rules live: rule 1 in :mod:`.segments`, rules 2-3 in :mod:`.matching` (with the per-tariff compiled
facts and the warnings), the result types in :mod:`.result`, the rule 8 clamp in :mod:`.money`; this module applies
rules 4-9 (``price_periods``, which :mod:`.running` also calls for a session priced as its readings arrive).
Speed (issue 13) comes from doing each piece of work once — per tariff, per period — never from a shortcut in the
arithmetic: every Decimal operation that feeds a result is the same operation, in the same order, as in the plain
reading of the rules above.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from roaming.core.time import get_zone

from .matching import compile_tariff, lookup, pricing_warnings
from .money import ZERO, Price, clamp
from .result import (
    CATEGORY_VALUES,
    EXPIRY_FLAT,
    AppliedComponent,
    CostCategory,
    FlatFee,
    PeriodKind,
    PricedPeriod,
    PricingResult,
    build_frozen,
    ocpi_volume,
)
from .segments import merge, reservation_atoms, session_atoms
from .tariff import Dimension, PriceComponent, Tariff
from .timeline import HOUR, Reservation, Timeline, seconds_between

__all__ = [
    "EXPIRY_FLAT",
    "AppliedComponent",
    "CostCategory",
    "FlatFee",
    "PeriodKind",
    "PricedPeriod",
    "PricingResult",
    "ocpi_volume",
    "price_periods",
    "price_session",
]

ONE = Decimal(1)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)

_ENERGY = Dimension.ENERGY
_FLAT = Dimension.FLAT
_TIME = Dimension.TIME
_PARKING_TIME = Dimension.PARKING_TIME
_CHARGING = PeriodKind.CHARGING
_PARKING = PeriodKind.PARKING
_RESERVATION = PeriodKind.RESERVATION
# Indexes into the per-category accumulators, in CostCategory order.
_FIXED, _ENERGY_COST, _TIME_COST, _PARKING_COST, _RESERVATION_COST = range(5)
_NO_PRICE = Price(ZERO, ZERO)
_CATEGORY_OF = (
    CostCategory.FIXED,
    CostCategory.ENERGY,
    CostCategory.TIME,
    CostCategory.PARKING,
    CostCategory.RESERVATION,
)


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


def _round_up(billed: list[Decimal | None], total: Decimal, last: PricedPeriod | None, dimension: str) -> None:
    """Round ``total`` (the billable volume of ``dimension`` in the step unit, Wh or seconds) up with the step_size of
    ``last`` (the last period with a positive volume) and add the extra volume to that period's entry in ``billed``
    (rule 5)."""
    if last is None:
        return
    extra = _ceil_to_step(total, last.components[dimension].component.step_size) - total
    if extra > 0:
        billed[last.index] += extra


def price_session(tariff: Tariff, timeline: Timeline, *, vat_absent_means_unknown: bool = False) -> PricingResult:
    """Price ``timeline`` under ``tariff`` following the rules in this module's docstring."""
    compiled = compile_tariff(tariff)
    zone = get_zone(timeline.time_zone)
    reservation = timeline.reservation
    expired = bool(reservation and reservation.expired)

    atoms = reservation_atoms(compiled, timeline, zone) + session_atoms(compiled, timeline, zone)
    for atom in atoms:
        atom.components = lookup(compiled, atom, zone, expired)
    return price_periods(
        tariff,
        merge(atoms, tariff.id),
        start=timeline.start,
        end=timeline.end,
        time_zone=timeline.time_zone,
        reservation=reservation,
        vat_absent_means_unknown=vat_absent_means_unknown,
    )


def price_periods(
    tariff: Tariff,
    periods: list[PricedPeriod],
    *,
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
    reservation: Reservation | None = None,
    vat_absent_means_unknown: bool = False,
) -> PricingResult:
    """Rules 4-9 on the session's charging periods (segmented, looked up and merged: rules 1-3): what
    ``price_session`` does once it has them, and what a running session does with the periods it keeps
    (``roaming.tariffs.pricing.running``). ``periods`` are this call's: their ``billed`` and ``costs`` are filled."""
    compiled = compile_tariff(tariff)
    expired = bool(reservation and reservation.expired)
    warnings = pricing_warnings(tariff, compiled, reservation.start if reservation is not None else start, periods)

    # Step 1: billable volumes per period in the step unit (Wh for energy, seconds for time), None where the period
    # has no component of that dimension; per dimension their total (summed in period order from ZERO, as sum()
    # would) and the last period with a positive volume, which decides the step_size.
    count = len(periods)
    energy_wh: list[Decimal | None] = [None] * count
    session_secs: list[Decimal | None] = [None] * count
    reservation_secs: list[Decimal | None] = [None] * count
    energy_total = charging_total = parking_total = reservation_total = ZERO
    energy_last = charging_last = parking_last = reservation_last = None
    last_time_based = None  # the last period with a priced time-based volume
    for p in periods:
        components = p.components
        if _ENERGY in components:
            energy_wh[p.index] = wh = p.energy_kwh * THOUSAND
            energy_total += wh
            if wh > 0:
                energy_last = p
        kind = p.kind
        if kind is _RESERVATION:
            if _TIME in components:
                reservation_secs[p.index] = seconds = p.seconds
                reservation_total += seconds
                if seconds > 0:
                    reservation_last = p
        elif kind is _CHARGING:
            if _TIME in components:
                session_secs[p.index] = seconds = p.seconds
                charging_total += seconds
                if seconds > 0:
                    charging_last = last_time_based = p
        elif _PARKING_TIME in components:
            session_secs[p.index] = seconds = p.seconds
            parking_total += seconds
            if seconds > 0:
                parking_last = last_time_based = p

    # Step 2: step_size once per session (rule 5); TIME and PARKING_TIME together, decided by the last of them.
    _round_up(energy_wh, energy_total, energy_last, _ENERGY)
    if last_time_based is not None:
        if last_time_based.kind is _CHARGING:
            _round_up(session_secs, charging_total, charging_last, _TIME)
        else:
            _round_up(session_secs, parking_total, parking_last, _PARKING_TIME)
    _round_up(reservation_secs, reservation_total, reservation_last, _TIME)

    # Step 3: costs per period and dimension, with the session's volumes. Each total is accumulated in period order
    # exactly as a sum() from ZERO would (Decimal addition rounds past 28 digits, so the order is part of the result).
    excl_totals = [ZERO] * 5
    incl_totals: list[Decimal | None] = [ZERO] * 5
    vat_unknown = vat_absent_means_unknown
    seconds_by_kind = {_CHARGING: ZERO, _PARKING: ZERO, _RESERVATION: ZERO}
    total_energy = billed_energy_wh = billed_time = billed_parking = billed_reservation = ZERO
    flat_periods = []
    for p in periods:
        index, kind, components, billed, costs = p.index, p.kind, p.components, p.billed, p.costs
        wh = energy_wh[index]
        if wh is not None:
            component = components[_ENERGY].component
            billed[_ENERGY] = kwh = wh / THOUSAND
            excl = kwh * component.price
            incl = _incl(excl, component, vat_unknown)
            costs[_ENERGY] = Price(excl, incl)
            excl_totals[_ENERGY_COST] += excl
            total = incl_totals[_ENERGY_COST]
            incl_totals[_ENERGY_COST] = None if total is None or incl is None else total + incl
            billed_energy_wh += wh
        secs = session_secs[index] if kind is not _RESERVATION else reservation_secs[index]
        if secs is not None:
            dim = _PARKING_TIME if kind is _PARKING else _TIME
            component = components[dim].component
            billed[dim] = secs / HOUR
            excl = secs * component.price / HOUR  # multiply first: one inexact division instead of two
            incl = _incl(excl, component, vat_unknown)
            costs[dim] = Price(excl, incl)
            if kind is _RESERVATION:
                category = _RESERVATION_COST
            else:
                category = _PARKING_COST if dim is _PARKING_TIME else _TIME_COST
            excl_totals[category] += excl
            total = incl_totals[category]
            incl_totals[category] = None if total is None or incl is None else total + incl
        if _FLAT in components or EXPIRY_FLAT in components:
            flat_periods.append(p)
        seconds_by_kind[kind] += p.seconds
        total_energy += p.energy_kwh
        if kind is _CHARGING:
            billed_time += billed.get(_TIME, ZERO)
        elif kind is _RESERVATION:
            billed_reservation += billed.get(_TIME, ZERO)
        billed_parking += billed.get(_PARKING_TIME, ZERO)

    # Step 4: flat fees, once each (rule 6): one per (reservation?, key) context.
    flat_fees = []
    charged: set[tuple[bool, str]] = set()
    for p in flat_periods:
        in_reservation = p.kind is _RESERVATION
        for key in (_FLAT, EXPIRY_FLAT):
            applied = p.components.get(key)
            if applied is None or (in_reservation, key) in charged:
                continue
            charged.add((in_reservation, key))
            component = applied.component
            excl = component.price
            incl = _incl(excl, component, vat_unknown)
            if in_reservation:
                category = _RESERVATION_COST
            elif compiled.parking_only[applied.element_index]:
                category = _PARKING_COST
            else:
                category = _FIXED
            p.costs[key] = cost = Price(excl, incl)
            excl_totals[category] += excl
            total = incl_totals[category]
            incl_totals[category] = None if total is None or incl is None else total + incl
            flat_fees.append(
                build_frozen(
                    FlatFee,
                    {
                        "category": _CATEGORY_OF[category],
                        "period_index": p.index,
                        "applied": applied,
                        "cost": cost,
                        "expiry": key == EXPIRY_FLAT,
                    },
                )
            )

    # Rule 8: the uncapped total (a sum from ZERO over the categories, in order), clamped.
    totals = {}
    uncapped_excl, uncapped_incl = ZERO, ZERO
    for category, name in enumerate(CATEGORY_VALUES):
        excl, incl = excl_totals[category], incl_totals[category]
        # A category nothing was added to keeps the shared zero price (its two ZEROs, untouched).
        totals[name] = _NO_PRICE if excl is ZERO and incl is ZERO else Price(excl, incl)
        uncapped_excl += excl
        uncapped_incl = None if uncapped_incl is None or incl is None else uncapped_incl + incl
    uncapped = Price(uncapped_excl, uncapped_incl)
    if tariff.min_price is None and tariff.max_price is None:
        total_cost, reason, adjustment = uncapped, None, None
    else:
        total_cost, reason = clamp(uncapped, tariff.min_price, tariff.max_price)
        adjustment = None if reason is None else total_cost - uncapped
    totals["total_cost"] = total_cost

    session_seconds = seconds_between(start, end) if not expired else ZERO
    return build_frozen(
        PricingResult,
        {
            "currency": tariff.currency,
            "tariff_id": tariff.id,
            "time_zone": time_zone,
            "periods": tuple(periods),
            "exact": totals,
            "uncapped_total": uncapped,
            "adjustment": adjustment,
            "adjustment_reason": reason,
            "flat_fees": tuple(flat_fees),
            "total_energy": total_energy,
            "total_time": session_seconds / HOUR,
            "total_charging_time": seconds_by_kind[_CHARGING] / HOUR,
            "total_parking_time": seconds_by_kind[_PARKING] / HOUR,
            "total_reservation_time": seconds_by_kind[_RESERVATION] / HOUR,
            "billed_energy": billed_energy_wh / THOUSAND,
            "billed_time": billed_time,
            "billed_parking_time": billed_parking,
            "billed_reservation_time": billed_reservation,
            "start": reservation.start if reservation is not None else start,
            "end": end,
            "warnings": tuple(warnings),
        },
    )
