"""How a priced session reads in the admin: the price calculator's rows (period by period, dimension by dimension).

Presentation of the pricing engine's result, kept out of the engine (``roaming.tariffs.pricing``), which computes
and stops at OCPI-shaped output.
"""

from decimal import ROUND_CEILING, Decimal
from typing import Any

from roaming.core.time import get_zone
from roaming.ocpi.datetimes import format_datetime
from roaming.tariffs.pricing import (
    CostCategory,
    Dimension,
    PeriodKind,
    Price,
    PricedPeriod,
    PricingResult,
    format_money,
)
from roaming.tariffs.pricing.engine import ocpi_volume
from roaming.tariffs.pricing.money import ZERO
from roaming.tariffs.pricing.timeline import HOUR

ONE = Decimal(1)


def pricing_breakdown(result: PricingResult) -> list[dict[str, Any]]:
    """Human-readable lines per period and dimension of a priced session, for the admin price calculator.

    Each row: ``period`` (index or ``None`` for session-level rows), ``start``/``end`` (UTC, ``Z``),
    ``local_start``/``local_end`` (location time), ``kind``, ``dimension``, ``element`` (tariff element index or
    ``None`` when free), ``quantity``/``billed_quantity`` with ``unit``, ``price``, ``vat``, ``step_size``,
    ``cost_excl_vat``/``cost_incl_vat`` (unrounded Decimals) and ``text``.
    """
    zone = get_zone(result.time_zone)
    rows: list[dict[str, Any]] = []
    for p in result.periods:
        local_start, local_end = p.start.astimezone(zone), p.end.astimezone(zone)
        span = f"{local_start:%H:%M}–{local_end:%H:%M}"
        base = {
            "period": p.index,
            "start": format_datetime(p.start, milliseconds=True),
            "end": format_datetime(p.end, milliseconds=True),
            "local_start": local_start.isoformat(),
            "local_end": local_end.isoformat(),
            "kind": p.kind.value,
        }
        for fee in result.flat_fees:
            if fee.period_index != p.index:
                continue
            label = {
                CostCategory.RESERVATION: "reservation expiry fee" if fee.expiry else "reservation fee",
                CostCategory.PARKING: "parking fee",
            }.get(fee.category, "start fee")
            rows.append(
                {
                    **base,
                    "dimension": "FLAT",
                    "element": fee.applied.element_index,
                    "quantity": ONE,
                    "billed_quantity": ONE,
                    "unit": "",
                    "price": fee.applied.component.price,
                    "vat": fee.applied.component.vat,
                    "step_size": None,
                    "cost_excl_vat": fee.cost.excl_vat,
                    "cost_incl_vat": fee.cost.incl_vat,
                    "text": f"{label} {format_money(fee.cost.excl_vat, result.currency)}",
                }
            )
        for dim, quantity, unit, label in _period_dimensions(p):
            applied = p.components.get(dim)
            cost = p.costs.get(dim, Price(ZERO, ZERO))
            billed = p.billed.get(dim, ZERO)
            if applied is None:
                text = f"{span} {label} {_quantity_text(quantity, unit)}: free (no price component applies)"
            else:
                comp = applied.component
                text = (
                    f"{span} {label} {_quantity_text(billed, unit)} × {format_money(comp.price, result.currency)}"
                    f"/{unit} = {format_money(cost.excl_vat, result.currency)}"
                )
                if billed != quantity:
                    text += f" (used {_quantity_text(quantity, unit)}, rounded up to step_size {comp.step_size})"
            rows.append(
                {
                    **base,
                    "dimension": "RESERVATION_TIME" if p.kind == PeriodKind.RESERVATION else dim,
                    "element": None if applied is None else applied.element_index,
                    "quantity": quantity,
                    "billed_quantity": billed if applied is not None else ZERO,
                    "unit": unit,
                    "price": None if applied is None else applied.component.price,
                    "vat": None if applied is None else applied.component.vat,
                    "step_size": None if applied is None else applied.component.step_size,
                    "cost_excl_vat": cost.excl_vat,
                    "cost_incl_vat": cost.incl_vat,
                    "text": text,
                }
            )
    if result.adjustment is not None:
        rows.append(
            {
                "period": None,
                "start": format_datetime(result.start, milliseconds=True),
                "end": format_datetime(result.end, milliseconds=True),
                "local_start": result.start.astimezone(zone).isoformat(),
                "local_end": result.end.astimezone(zone).isoformat(),
                "kind": "SESSION",
                "dimension": (result.adjustment_reason or "").upper(),
                "element": None,
                "quantity": ONE,
                "billed_quantity": ONE,
                "unit": "",
                "price": None,
                "vat": None,
                "step_size": None,
                "cost_excl_vat": result.adjustment.excl_vat,
                "cost_incl_vat": result.adjustment.incl_vat,
                "text": f"{result.adjustment_reason} adjustment "
                f"{format_money(result.adjustment.excl_vat, result.currency)}",
            }
        )
    return rows


def _quantity_text(value: Decimal, unit: str) -> str:
    if unit == "kWh":
        return f"{ocpi_volume(value)} kWh"
    seconds = int((value * HOUR).to_integral_value(rounding=ROUND_CEILING))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)


def _period_dimensions(p: PricedPeriod) -> list[tuple[str, Decimal, str, str]]:
    if p.kind == PeriodKind.RESERVATION:
        return [(Dimension.TIME, p.hours, "h", "reservation time")]
    out: list[tuple[str, Decimal, str, str]] = []
    if p.energy_kwh or p.billed.get(Dimension.ENERGY):
        out.append((Dimension.ENERGY, p.energy_kwh, "kWh", "energy"))
    if p.kind == PeriodKind.CHARGING:
        out.append((Dimension.TIME, p.hours, "h", "charging time"))
    else:
        out.append((Dimension.PARKING_TIME, p.hours, "h", "parking time"))
    return out
