"""A tariff in words, for admin screens and receipts.

Follows the structure of mod_tariffs.asciidoc §Tariff object: one phrase per TariffElement in list order (the
first-match rule means earlier elements win, so order is kept), each phrase being the element's restrictions
(time window, weekdays and dates before the prices; duration, energy, power and current after them) around its
price components. Amounts are excl. VAT, as in the tariff itself, and the text says so when a component carries VAT
(a component without ``vat`` has none applicable). An element without restrictions after restricted ones that price
the same dimensions is their fallback: it reads "otherwise ...".
"""

from __future__ import annotations

from decimal import Decimal

from .money import format_money
from .tariff import DAY_NAMES, Dimension, PriceComponent, ReservationType, Restrictions, Tariff, TariffElement

_DAY_ABBR = tuple(name[:3].title() for name in DAY_NAMES)


def _duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if minutes:
        parts.append(f"{minutes} minute" + ("s" if minutes != 1 else ""))
    if secs or not parts:
        parts.append(f"{secs} second" + ("s" if secs != 1 else ""))
    return " ".join(parts)


def _step_text(component: PriceComponent) -> str:
    step = component.step_size
    if step <= 1 or component.type == Dimension.FLAT:
        return ""
    if component.type == Dimension.ENERGY:
        unit = f"{Decimal(step) / 1000:g} kWh" if step % 100 == 0 and step >= 1000 else f"{step} Wh"
        return f" (billed per {unit})"
    if step % 60 == 0:
        return f" (billed per {step // 60} min)"
    return f" (billed per {step} s)"


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def _component_text(component: PriceComponent, element: TariffElement, currency: str) -> str:
    money = format_money(component.price, currency)
    reservation = element.reservation
    if component.type == Dimension.ENERGY:
        text = f"{money}/kWh"
    elif component.type == Dimension.TIME:
        if reservation == ReservationType.RESERVATION_EXPIRES:
            text = f"{money}/h reservation time if the reservation expires"
        elif reservation is not None:
            text = f"{money}/h reservation time"
        else:
            text = f"{money}/h"
    elif component.type == Dimension.PARKING_TIME:
        text = f"{money}/h parking"
    elif component.type == Dimension.FLAT:
        if reservation == ReservationType.RESERVATION_EXPIRES:
            text = f"{money} reservation expiry fee"
        elif reservation is not None:
            text = f"{money} reservation fee"
        elif element.is_parking_only:
            text = f"{money} parking fee"
        else:
            text = f"{money} start fee"
    else:
        text = f"{money} per {component.type}"
    return text + _step_text(component)


def _days_text(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return ""
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_DAY_ABBR[run[0]]}–{_DAY_ABBR[run[-1]]}")
        else:
            parts.extend(_DAY_ABBR[d] for d in run)
    return ", ".join(parts)


def _restriction_texts(r: Restrictions | None) -> tuple[list[str], list[str]]:
    before: list[str] = []
    after: list[str] = []
    if r is None:
        return before, after
    if r.start_time is not None or r.end_time is not None:
        start = r.start_time.strftime("%H:%M") if r.start_time is not None else "00:00"
        end = r.end_time.strftime("%H:%M") if r.end_time is not None else "24:00"
        if r.end_time is not None and r.end_time.hour == 0 and r.end_time.minute == 0:
            end = "24:00"
        before.append(f"{start}–{end}")
    if r.day_of_week:
        days = _days_text(r.day_of_week)
        if days:
            before.append(days)
    if r.start_date is not None and r.end_date is not None:
        before.append(f"{r.start_date.isoformat()} to {r.end_date.isoformat()}")
    elif r.start_date is not None:
        before.append(f"from {r.start_date.isoformat()}")
    elif r.end_date is not None:
        before.append(f"before {r.end_date.isoformat()}")
    if r.min_duration is not None and r.max_duration is not None:
        after.append(f"between {_duration_text(r.min_duration)} and {_duration_text(r.max_duration)}")
    elif r.min_duration is not None:
        after.append(f"after {_duration_text(r.min_duration)}")
    elif r.max_duration is not None:
        after.append(f"until {_duration_text(r.max_duration)}")
    for low, high, unit, noun in (
        (r.min_kwh, r.max_kwh, "kWh", ""),
        (r.min_power, r.max_power, "kW", "at "),
        (r.min_current, r.max_current, "A", "at "),
    ):
        if low is not None and high is not None:
            after.append(f"{noun}{_number(low)}–{_number(high)} {unit}")
        elif low is not None:
            after.append(f"{noun}≥ {_number(low)} {unit}" if noun else f"from {_number(low)} {unit}")
        elif high is not None:
            after.append(f"{noun}< {_number(high)} {unit}" if noun else f"up to {_number(high)} {unit}")
    return before, after


def describe_tariff(tariff: Tariff) -> str:
    """The tariff in words, e.g. ``€0.25/kWh, €2.00/h after 2 hours, 17:00-20:00 €0.35/kWh`` (with an en dash).

    Currency symbols for EUR, GBP, USD and CHF, else the ISO code. A tariff whose every price is zero reads
    "free of charge" (mod_tariffs.asciidoc §Free of Charge Tariff example).
    """
    components = [c for e in tariff.elements for c in e.price_components]
    if components and all(c.price == 0 for c in components) and tariff.min_price is None:
        return "free of charge"
    phrases = []
    restricted_dimensions: set[str] = set()  # dimensions priced so far by elements with restrictions
    for element in tariff.elements:
        if not element.price_components:
            continue
        before, after = _restriction_texts(element.restrictions)
        dimensions = {c.type for c in element.price_components}
        if before or after:
            restricted_dimensions |= dimensions
        elif dimensions & restricted_dimensions:
            before = ["otherwise"]
        prices = " + ".join(_component_text(c, element, tariff.currency) for c in element.price_components)
        phrases.append(" ".join([*before, prices, *after]))
    text = ", ".join(phrases) if phrases else "no structured prices"
    if tariff.min_price is not None:
        text += f"; minimum {format_money(tariff.min_price.excl_vat, tariff.currency)}"
    if tariff.max_price is not None:
        text += f"; maximum {format_money(tariff.max_price.excl_vat, tariff.currency)}"
    if any(c.vat for c in components):
        text += " (excl. VAT)"
    return text
