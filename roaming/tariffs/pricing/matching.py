"""Which price components apply to a piece of a session: restrictions and the first match per dimension.

Rules 2 and 3 of :mod:`roaming.tariffs.pricing.engine` (mod_tariffs.asciidoc §TariffRestrictions, §Tariff object,
§ReservationRestrictionType). A tariff prices many sessions, so everything the engine needs to know about it is
worked out once per :class:`~roaming.tariffs.pricing.tariff.Tariff` instance (:func:`compile_tariff`) and kept on
that instance, as its own ``cached_property`` facts are.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .result import EXPIRY_FLAT, AppliedComponent, PeriodKind, PricedPeriod, _stamp
from .tariff import Dimension, Restrictions, Tariff

if TYPE_CHECKING:
    from .segments import Atom

_MIDNIGHT = dt.time(0)
_COMPILED_ATTR = "_engine_compiled"
_CHARGING_DIMS = (Dimension.ENERGY, Dimension.FLAT, Dimension.TIME)
_PARKING_DIMS = (Dimension.ENERGY, Dimension.FLAT, Dimension.PARKING_TIME)

Candidates = tuple[tuple[int, Restrictions | None, AppliedComponent], ...]


class CompiledTariff:
    """The facts about one tariff that pricing a session needs, worked out once.

    ``candidates[(group, dimension)]`` lists, in tariff order, the elements of ``group`` (``session``,
    ``reservation``, ``expiry``) that have a component of ``dimension``, each with its restrictions and its
    ``AppliedComponent``. ``parking_only[i]`` says whether element ``i``'s FLAT reads as a parking fee.
    """

    __slots__ = (
        "boundary_times",
        "calendar",
        "candidates",
        "duration_thresholds",
        "kwh_thresholds",
        "parking_only",
        "restricted",
        "unrestricted_cache",
        "uses_current",
        "uses_duration",
        "uses_power",
    )

    def __init__(self, tariff: Tariff) -> None:
        restrictions = tariff.restriction_list
        self.restricted = bool(restrictions)
        self.calendar = tariff.has_calendar_restrictions
        self.boundary_times = tariff.boundary_times
        self.duration_thresholds = tariff.duration_thresholds
        self.kwh_thresholds = tariff.kwh_thresholds
        self.uses_duration = any(r.min_duration is not None or r.max_duration is not None for r in restrictions)
        self.uses_current = any(r.min_current is not None or r.max_current is not None for r in restrictions)
        self.uses_power = any(r.min_power is not None or r.max_power is not None for r in restrictions)
        self.parking_only = tuple(e.is_parking_only for e in tariff.elements)
        groups = {
            "session": tariff.session_elements,
            "reservation": tariff.reservation_elements,
            "expiry": tariff.expiry_elements,
        }
        table: dict[tuple[str, str], Candidates] = {}
        for group, elements in groups.items():
            for dim in Dimension:
                rows = []
                for index, element in elements:
                    component = element.component(dim)
                    if component is not None:
                        rows.append((index, element.restrictions, AppliedComponent(index, component)))
                table[(group, str(dim))] = tuple(rows)
        self.candidates = table
        # (kind, expired) -> components, for tariffs without any restriction: the answer depends on nothing else.
        self.unrestricted_cache: dict[tuple[str, bool], dict[str, AppliedComponent]] = {}


def compile_tariff(tariff: Tariff) -> CompiledTariff:
    """The :class:`CompiledTariff` of ``tariff``, built on first use and kept in the instance's ``__dict__`` (a
    ``Tariff`` is a frozen dataclass and never changes, so the compiled facts cannot go stale)."""
    compiled = tariff.__dict__.get(_COMPILED_ATTR)
    if compiled is None:
        compiled = tariff.__dict__[_COMPILED_ATTR] = CompiledTariff(tariff)
    return compiled


def _time_of_day_ok(r: Restrictions, t: dt.time) -> bool:
    start = r.start_time or _MIDNIGHT
    end = r.end_time
    if end is None or end == _MIDNIGHT:
        return t >= start  # until end of day
    if end > start:
        return start <= t < end
    if end < start:
        return t >= start or t < end  # wraps past midnight
    return True  # start == end: a full 24 h window


def matches(r: Restrictions | None, atom: Atom, local: dt.datetime | None) -> bool:
    """Whether all of ``r`` hold for ``atom`` (rule 2), calendar restrictions read at ``local`` (the atom's start
    in the location's zone; ``None`` when the tariff has no calendar restriction)."""
    if r is None:
        return True
    if local is not None:
        if (r.start_time is not None or r.end_time is not None) and not _time_of_day_ok(r, local.time()):
            return False
        if r.start_date is not None or r.end_date is not None:
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
    candidates: Candidates, matched: dict[int, bool], atom: Atom, local: dt.datetime | None
) -> AppliedComponent | None:
    """The first element (in tariff order) with a component in ``candidates``' dimension whose restrictions hold;
    each element's restrictions are evaluated at most once per atom (``matched``)."""
    for index, restrictions, applied in candidates:
        if restrictions is None:
            return applied
        ok = matched.get(index)
        if ok is None:
            ok = matched[index] = matches(restrictions, atom, local)
        if ok:
            return applied
    return None


def lookup(compiled: CompiledTariff, atom: Atom, zone: dt.tzinfo, expired: bool) -> dict[str, AppliedComponent]:
    """The applicable component per dimension for ``atom`` (rule 3); keys are ``Dimension`` values and, for an
    expired reservation's expiry fee, ``EXPIRY_FLAT``."""
    if not compiled.restricted:
        cache = compiled.unrestricted_cache
        found = cache.get((atom.kind, expired))
        if found is None:
            found = cache[(atom.kind, expired)] = _lookup_matching(compiled, atom, None, expired)
        return dict(found)
    local = atom.start.astimezone(zone) if compiled.calendar else None
    return _lookup_matching(compiled, atom, local, expired)


def _lookup_matching(
    compiled: CompiledTariff, atom: Atom, local: dt.datetime | None, expired: bool
) -> dict[str, AppliedComponent]:
    matched: dict[int, bool] = {}
    found: dict[str, AppliedComponent] = {}
    candidates = compiled.candidates
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


def pricing_warnings(
    tariff: Tariff, compiled: CompiledTariff, moment: dt.datetime, periods: list[PricedPeriod]
) -> list[str]:
    """What the result should say it could not judge: restrictions on power or current a charging period does not
    know, and a session (or its reservation) starting at ``moment`` outside the tariff's validity."""
    warnings: list[str] = []
    uses_current, uses_power = compiled.uses_current, compiled.uses_power
    for p in periods if uses_current or uses_power else ():
        if p.kind is not PeriodKind.CHARGING:
            continue
        if uses_current and (p.min_current_a is None or p.max_current_a is None):
            warnings.append(
                f"current unknown from {_stamp(p.start)}: min/max_current restrictions treated as not matching"
            )
        if uses_power and (p.min_power_kw is None or p.max_power_kw is None):
            warnings.append(f"power unknown from {_stamp(p.start)}: min/max_power restrictions treated as not matching")
    if tariff.start_date_time is not None and moment < tariff.start_date_time:
        warnings.append(f"session starts before the tariff is valid ({_stamp(tariff.start_date_time)})")
    if tariff.end_date_time is not None and moment >= tariff.end_date_time:
        warnings.append(f"session starts after the tariff ended ({_stamp(tariff.end_date_time)})")
    return warnings
