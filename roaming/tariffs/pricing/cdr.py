"""Recompute an OCPI CDR's cost from its charging periods (mod_cdrs.asciidoc §CDR object, §ChargingPeriod) and
compare it with the CDR's own figures. Pure helpers behind the ``price_cdr`` management command.

The CPO's claim is what finance disputes, so the volumes each charging period *declares* are priced, not the
durations its timestamps imply: a period declaring ``TIME`` 0.5 h is priced as half an hour even if the next period
starts an hour later. Periods are laid end to end from the first period's start, each as long as its declared
TIME + PARKING_TIME + RESERVATION_TIME (a period declaring none of them keeps its wall-clock length), so a period
whose volume agrees with its timestamps keeps its place in the day. Every period whose volume disagrees with its
timestamps is listed (``period_discrepancies``) with both figures.

Time zone lookup order (restrictions are local to ``Location.time_zone``, which a CDR does not carry in 2.2.1):
an explicit zone (``--time-zone``) > ``cdr_location.time_zone`` in the CDR JSON (not an OCPI field, but some
systems add it) > an optional caller-supplied resolver (e.g. a database lookup of ``cdr_location.id``) > ``UTC``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from roaming.core.time import get_zone
from roaming.ocpi.datetimes import to_utc

from .engine import CostCategory, PricingResult, price_session
from .money import Price, to_decimal
from .tariff import Tariff
from .timeline import Timeline, seconds_between

TimeZoneResolver = Callable[[Mapping[str, Any]], "str | None"]

COST_FIELDS = ("total_cost", *(c.value for c in CostCategory))
VOLUME_FIELDS = ("total_energy", "total_time", "total_parking_time")
TIME_DIMENSIONS = ("TIME", "PARKING_TIME", "RESERVATION_TIME")
#: a declared duration further than this from the timestamps' is a discrepancy (volumes are rounded hours)
VOLUME_TOLERANCE_SECONDS = Decimal(1)
SECONDS_PER_HOUR = Decimal(3600)


def unwrap_ocpi_object(data: Any) -> dict[str, Any]:
    """The object inside ``data``: a bare object, an OCPI response envelope ``{"data": ...}`` (transport_and_format
    §Response format), or either of those holding / held in a one-element list."""
    seen = 0
    while seen < 4:  # envelope → list → object is the deepest legitimate nesting
        seen += 1
        if isinstance(data, list):
            if len(data) != 1:
                raise ValueError(f"expected a single object, got a list of {len(data)}")
            data = data[0]
            continue
        if isinstance(data, dict) and "data" in data and "elements" not in data and "charging_periods" not in data:
            data = data["data"]
            continue
        break
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def resolve_time_zone(
    cdr: Mapping[str, Any],
    explicit: str | None = None,
    resolver: TimeZoneResolver | None = None,
) -> tuple[str, str]:
    """``(zone, source)`` following the module docstring's lookup order; ``source`` is one of ``option``,
    ``cdr_location``, ``resolver`` or ``default``. Unknown zone names raise ``ValueError``."""
    if explicit:
        get_zone(explicit)
        return explicit, "option"
    location = cdr.get("cdr_location")
    if isinstance(location, Mapping) and location.get("time_zone"):
        zone = str(location["time_zone"])
        get_zone(zone)
        return zone, "cdr_location"
    if resolver is not None:
        zone = resolver(cdr)
        if zone:
            get_zone(zone)
            return zone, "resolver"
    return "UTC", "default"


def _declared_hours(period: Mapping[str, Any]) -> Decimal | None:
    """TIME + PARKING_TIME + RESERVATION_TIME the period declares, in hours; None when it declares none."""
    volumes = [
        to_decimal(dim["volume"])
        for dim in period.get("dimensions") or ()
        if str(dim.get("type", "")).upper() in TIME_DIMENSIONS and dim.get("volume") is not None
    ]
    return sum(volumes, Decimal(0)) if volumes else None


def _checked_periods(cdr: Mapping[str, Any]) -> list[dict[str, Any]]:
    periods = cdr.get("charging_periods") or []
    if not periods:
        raise ValueError("the CDR has no charging_periods to price")
    if not cdr.get("end_date_time"):
        raise ValueError("the CDR has no end_date_time")
    return sorted(periods, key=lambda p: to_utc(p["start_date_time"]))


def _spans(cdr: Mapping[str, Any]) -> list[tuple[dict[str, Any], dt.datetime, Decimal, Decimal | None]]:
    """``(period, start, seconds by its timestamps, declared seconds or None)`` per period, in time order."""
    ordered = _checked_periods(cdr)
    end = to_utc(cdr["end_date_time"])
    spans = []
    for index, period in enumerate(ordered):
        start = to_utc(period["start_date_time"])
        until = to_utc(ordered[index + 1]["start_date_time"]) if index + 1 < len(ordered) else end
        declared = _declared_hours(period)
        spans.append((period, start, seconds_between(start, until), None if declared is None else declared * 3600))
    return spans


def period_discrepancies(cdr: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Periods whose declared TIME/PARKING_TIME/RESERVATION_TIME disagrees with the span of their timestamps
    (to the next period's start, the last to ``end_date_time``), with both figures in hours."""
    out = []
    for index, (period, _start, seconds, declared) in enumerate(_spans(cdr)):
        if declared is None or abs(declared - seconds) <= VOLUME_TOLERANCE_SECONDS:
            continue
        out.append(
            {
                "period": index,
                "start_date_time": period["start_date_time"],
                "declared_hours": str(_round_volume(declared / SECONDS_PER_HOUR)),
                "timestamps_hours": str(_round_volume(seconds / SECONDS_PER_HOUR)),
            }
        )
    return out


def declared_charging_periods(cdr: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dt.datetime]:
    """The CDR's periods laid end to end, each as long as the time it declares; ``(periods, session end)``."""
    spans = _spans(cdr)
    cursor = spans[0][1]
    laid = []
    for period, _start, seconds, declared in spans:
        laid.append({**period, "start_date_time": cursor.isoformat()})
        cursor += dt.timedelta(seconds=float(seconds if declared is None else declared))
    return laid, cursor


def timeline_from_cdr(cdr: Mapping[str, Any], *, time_zone: str = "UTC") -> Timeline:
    """The session the CDR declares: ``charging_periods`` with their declared volumes (see the module docstring)."""
    periods, end = declared_charging_periods(cdr)
    return Timeline.from_charging_periods(periods, end=end, time_zone=time_zone)


def price_cdr(
    tariff: Tariff,
    cdr: Mapping[str, Any],
    *,
    time_zone: str = "UTC",
    vat_absent_means_unknown: bool = False,
) -> PricingResult:
    """Price the CDR's charging periods under ``tariff``."""
    timeline = timeline_from_cdr(cdr, time_zone=time_zone)
    return price_session(tariff, timeline, vat_absent_means_unknown=vat_absent_means_unknown)


def _price_strings(price: Price | None) -> dict[str, str | None] | None:
    return None if price is None else price.as_strings()


def _difference(ours: Price, theirs: Price | None) -> dict[str, str | None] | None:
    if theirs is None:
        return None
    incl = None
    if ours.incl_vat is not None and theirs.incl_vat is not None:
        incl = str(ours.incl_vat - theirs.incl_vat)
    return {"excl_vat": str(ours.excl_vat - theirs.excl_vat), "incl_vat": incl}


def _cdr_number(cdr: Mapping[str, Any], key: str) -> Decimal | None:
    value = cdr.get(key)
    if value is None:
        return None
    try:
        return to_decimal(value)
    except (ValueError, ArithmeticError):
        return None


def compare_with_cdr(result: PricingResult, cdr: Mapping[str, Any]) -> dict[str, Any]:
    """Recomputed figures, the CDR's own figures and the differences (recomputed minus CDR), all as decimal strings.

    ``matches`` is true when ``total_cost`` agrees (excl VAT, and incl VAT when both sides have it). Costs the CDR
    leaves out have a ``null`` difference.
    """
    ours_costs = {name: getattr(result, name) for name in COST_FIELDS}
    ours_volumes = {
        "total_energy": result.total_energy,
        "total_time": result.total_time,
        "total_parking_time": result.total_parking_time,
    }
    theirs_costs = {name: Price.from_ocpi(cdr.get(name)) for name in COST_FIELDS}
    theirs_volumes = {name: _cdr_number(cdr, name) for name in VOLUME_FIELDS}
    recomputed: dict[str, Any] = {name: price.as_strings() for name, price in ours_costs.items()}
    recomputed.update({name: str(_round_volume(value)) for name, value in ours_volumes.items()})
    original: dict[str, Any] = {name: _price_strings(price) for name, price in theirs_costs.items()}
    original.update({name: None if v is None else str(v) for name, v in theirs_volumes.items()})
    difference: dict[str, Any] = {name: _difference(ours_costs[name], theirs_costs[name]) for name in COST_FIELDS}
    for name in VOLUME_FIELDS:
        theirs = theirs_volumes[name]
        difference[name] = None if theirs is None else str(_round_volume(ours_volumes[name]) - theirs)
    total_diff = difference["total_cost"]
    matches = total_diff is not None and Decimal(total_diff["excl_vat"]) == 0
    if matches and total_diff["incl_vat"] is not None:
        matches = Decimal(total_diff["incl_vat"]) == 0
    warnings = list(result.warnings)
    currency = cdr.get("currency")
    if currency and str(currency).upper() != result.currency:
        warnings.append(f"CDR currency {currency} differs from the tariff currency {result.currency}")
    cdr_energy = theirs_volumes["total_energy"]
    if cdr_energy and not result.total_energy:
        warnings.append(
            "the charging periods carry no ENERGY although the CDR states total_energy: energy prices "
            "cannot be recomputed from them"
        )
    if cdr.get("start_date_time"):
        try:
            cdr_start = to_utc(cdr["start_date_time"])
        except ValueError:
            cdr_start = None
        if cdr_start is not None and cdr_start != result.start:
            warnings.append("the first charging period does not start at the CDR's start_date_time")
    discrepancies = period_discrepancies(cdr)
    if discrepancies:
        warnings.append(
            f"{len(discrepancies)} charging period(s) declare a duration that disagrees with their timestamps: "
            "the declared volumes were priced (see period_discrepancies)"
        )
    return {
        "recomputed": recomputed,
        "cdr": original,
        "difference": difference,
        "matches": matches,
        "warnings": warnings,
        "period_discrepancies": discrepancies,
    }


def _round_volume(value: Decimal) -> Decimal:
    """Volumes compared at OCPI's usual 4 decimals."""
    return value.quantize(Decimal("0.0001"))
