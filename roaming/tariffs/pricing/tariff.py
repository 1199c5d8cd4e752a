"""Typed, immutable view of an OCPI 2.2.1 Tariff (mod_tariffs.asciidoc §Tariff object, §TariffElement,
§PriceComponent, §TariffRestrictions) parsed leniently from its JSON dict.

Lenient means: unknown fields are ignored, numbers become :class:`~decimal.Decimal` via ``str()``, absent optional
fields become ``None``, and a missing ``step_size`` defaults to 1 (the spec's advised value). Values that cannot mean
anything (a ``price`` that is not a number, a ``start_time`` that is not ``HH:MM``) raise :class:`TariffParseError`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from roaming.ocpi.datetimes import to_utc

from .money import Price, to_decimal


class TariffParseError(ValueError):
    """The tariff JSON cannot be interpreted."""


class Dimension(StrEnum):
    """TariffDimensionType (mod_tariffs.asciidoc §TariffDimensionType)."""

    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class ReservationType(StrEnum):
    """ReservationRestrictionType (mod_tariffs.asciidoc §ReservationRestrictionType)."""

    RESERVATION = "RESERVATION"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES"


DAY_NAMES = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


@dataclass(frozen=True, slots=True)
class PriceComponent:
    """How one dimension is priced: ``price`` per unit excl. VAT, ``vat`` percentage (``None`` = not given) and
    ``step_size`` (ENERGY: Wh, TIME/PARKING_TIME: seconds, FLAT: ignored)."""

    type: str
    price: Decimal
    vat: Decimal | None = None
    step_size: int = 1

    @classmethod
    def from_ocpi(cls, data: dict[str, Any]) -> PriceComponent:
        if not isinstance(data, dict):
            raise TariffParseError(f"price component must be an object, got {data!r}")
        try:
            kind = str(data["type"]).upper()
            price = to_decimal(data["price"])
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise TariffParseError(f"invalid price component {data!r}: {exc}") from exc
        vat = data.get("vat")
        step = data.get("step_size")
        try:
            step_size = 1 if step is None else int(to_decimal(step))
            vat_value = None if vat is None else to_decimal(vat)
        except (ValueError, ArithmeticError) as exc:
            raise TariffParseError(f"invalid vat/step_size in {data!r}") from exc
        return cls(kind, price, vat_value, step_size)


def _parse_time(value: Any, name: str) -> dt.time | None:
    if value is None or value == "":
        return None
    text = str(value)
    parts = text.split(":")
    try:
        hour, minute = int(parts[0]), int(parts[1])
        second = int(parts[2]) if len(parts) > 2 else 0
    except (IndexError, ValueError) as exc:
        raise TariffParseError(f"{name} must be HH:MM, got {text!r}") from exc
    if hour == 24 and minute == 0 and second == 0:
        # Not allowed by the regex, but unambiguous: treat as end of day like "00:00".
        return dt.time(0, 0)
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        raise TariffParseError(f"{name} out of range: {text!r}")
    return dt.time(hour, minute, second)


def _parse_date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise TariffParseError(f"{name} must be YYYY-MM-DD, got {value!r}") from exc


def _opt_decimal(data: dict[str, Any], key: str) -> Decimal | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        return to_decimal(value)
    except (ValueError, ArithmeticError) as exc:
        raise TariffParseError(f"{key} must be a number, got {value!r}") from exc


@dataclass(frozen=True, slots=True)
class Restrictions:
    """TariffRestrictions (mod_tariffs.asciidoc §TariffRestrictions); all set fields are AND-ed.

    ``day_of_week`` holds ISO weekday numbers 0 (Monday) … 6 (Sunday); empty means every day.
    """

    start_time: dt.time | None = None
    end_time: dt.time | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: frozenset[int] = frozenset()
    reservation: str | None = None

    @classmethod
    def from_ocpi(cls, data: dict[str, Any] | None) -> Restrictions | None:
        if not data:
            return None
        if not isinstance(data, dict):
            raise TariffParseError(f"restrictions must be an object, got {data!r}")
        days: set[int] = set()
        for day in data.get("day_of_week") or ():
            name = str(day).upper()
            if name not in DAY_NAMES:
                raise TariffParseError(f"unknown day_of_week {day!r}")
            days.add(DAY_NAMES.index(name))
        durations: dict[str, int | None] = {}
        for key in ("min_duration", "max_duration"):
            value = _opt_decimal(data, key)
            durations[key] = None if value is None else int(value)
        reservation = data.get("reservation")
        return cls(
            start_time=_parse_time(data.get("start_time"), "start_time"),
            end_time=_parse_time(data.get("end_time"), "end_time"),
            start_date=_parse_date(data.get("start_date"), "start_date"),
            end_date=_parse_date(data.get("end_date"), "end_date"),
            min_kwh=_opt_decimal(data, "min_kwh"),
            max_kwh=_opt_decimal(data, "max_kwh"),
            min_current=_opt_decimal(data, "min_current"),
            max_current=_opt_decimal(data, "max_current"),
            min_power=_opt_decimal(data, "min_power"),
            max_power=_opt_decimal(data, "max_power"),
            min_duration=durations["min_duration"],
            max_duration=durations["max_duration"],
            day_of_week=frozenset(days),
            reservation=None if reservation is None else str(reservation).upper(),
        )

    @property
    def has_time_of_day(self) -> bool:
        return self.start_time is not None or self.end_time is not None

    @property
    def has_calendar(self) -> bool:
        """Restrictions that depend on the local date/time (time of day, date, weekday)."""
        return (
            self.has_time_of_day or self.start_date is not None or self.end_date is not None or bool(self.day_of_week)
        )


@dataclass(frozen=True, slots=True)
class TariffElement:
    """TariffElement (mod_tariffs.asciidoc §TariffElement): price components sharing one set of restrictions."""

    price_components: tuple[PriceComponent, ...]
    restrictions: Restrictions | None = None

    @classmethod
    def from_ocpi(cls, data: dict[str, Any]) -> TariffElement:
        if not isinstance(data, dict):
            raise TariffParseError(f"tariff element must be an object, got {data!r}")
        components = tuple(PriceComponent.from_ocpi(c) for c in data.get("price_components") or ())
        return cls(components, Restrictions.from_ocpi(data.get("restrictions")))

    def component(self, dimension: str) -> PriceComponent | None:
        """The first component of ``dimension``; a second one of the same type is ignored (only one can be active,
        mod_tariffs.asciidoc §Tariff object)."""
        for component in self.price_components:
            if component.type == dimension:
                return component
        return None

    @property
    def reservation(self) -> str | None:
        return None if self.restrictions is None else self.restrictions.reservation

    @property
    def is_parking_only(self) -> bool:
        """Has a PARKING_TIME but no ENERGY/TIME component: its FLAT reads as a parking fee (mod_cdrs.asciidoc
        §CDR object counts parking flats in ``total_parking_cost``)."""
        types = {c.type for c in self.price_components}
        return Dimension.PARKING_TIME in types and not types & {Dimension.ENERGY, Dimension.TIME}


@dataclass(frozen=True)
class Tariff:
    """OCPI Tariff (mod_tariffs.asciidoc §Tariff object) — only the fields that matter for pricing and display."""

    currency: str
    elements: tuple[TariffElement, ...]
    id: str | None = None
    country_code: str | None = None
    party_id: str | None = None
    type: str | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: dt.datetime | None = None
    end_date_time: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_ocpi(cls, data: dict[str, Any]) -> Tariff:
        """Parse an OCPI Tariff dict (unknown fields ignored)."""
        if not isinstance(data, dict):
            raise TariffParseError("tariff must be a JSON object")
        currency = data.get("currency")
        if not currency:
            raise TariffParseError("tariff has no currency")
        elements = tuple(TariffElement.from_ocpi(e) for e in data.get("elements") or ())
        try:
            start = to_utc(data["start_date_time"]) if data.get("start_date_time") else None
            end = to_utc(data["end_date_time"]) if data.get("end_date_time") else None
        except ValueError as exc:
            raise TariffParseError(str(exc)) from exc
        try:
            min_price = Price.from_ocpi(data.get("min_price"))
            max_price = Price.from_ocpi(data.get("max_price"))
        except (ValueError, ArithmeticError) as exc:
            raise TariffParseError(f"invalid min_price/max_price: {exc}") from exc
        return cls(
            currency=str(currency).upper(),
            elements=elements,
            id=None if data.get("id") is None else str(data["id"]),
            country_code=data.get("country_code"),
            party_id=data.get("party_id"),
            type=data.get("type"),
            min_price=min_price,
            max_price=max_price,
            start_date_time=start,
            end_date_time=end,
            raw=data,
        )

    # Pre-computed facts used by the engine to skip work; cached per Tariff instance.

    @cached_property
    def restriction_list(self) -> tuple[Restrictions, ...]:
        return tuple(e.restrictions for e in self.elements if e.restrictions is not None)

    @cached_property
    def has_calendar_restrictions(self) -> bool:
        return any(r.has_calendar for r in self.restriction_list)

    @cached_property
    def boundary_times(self) -> tuple[dt.time, ...]:
        """Every local wall-clock time at which a time-of-day restriction switches, plus midnight (for dates and
        weekdays)."""
        times = {dt.time(0, 0)}
        for r in self.restriction_list:
            if r.start_time is not None:
                times.add(r.start_time)
            if r.end_time is not None:
                times.add(r.end_time)
        return tuple(sorted(times))

    @cached_property
    def duration_thresholds(self) -> tuple[int, ...]:
        values = set()
        for r in self.restriction_list:
            for v in (r.min_duration, r.max_duration):
                if v is not None and v > 0:
                    values.add(v)
        return tuple(sorted(values))

    @cached_property
    def kwh_thresholds(self) -> tuple[Decimal, ...]:
        values = set()
        for r in self.restriction_list:
            for v in (r.min_kwh, r.max_kwh):
                if v is not None and v > 0:
                    values.add(v)
        return tuple(sorted(values))

    @cached_property
    def has_reservation_elements(self) -> bool:
        return any(e.reservation is not None for e in self.elements)

    @cached_property
    def session_elements(self) -> tuple[tuple[int, TariffElement], ...]:
        """Elements that price the charging session itself (no ``reservation`` restriction), with their index."""
        return tuple((i, e) for i, e in enumerate(self.elements) if e.reservation is None)

    @cached_property
    def reservation_elements(self) -> tuple[tuple[int, TariffElement], ...]:
        """Elements restricted to reservations (``RESERVATION``, or an unknown value read leniently as such)."""
        return tuple(
            (i, e)
            for i, e in enumerate(self.elements)
            if e.reservation is not None and e.reservation != ReservationType.RESERVATION_EXPIRES
        )

    @cached_property
    def expiry_elements(self) -> tuple[tuple[int, TariffElement], ...]:
        """Elements restricted to expired reservations (``RESERVATION_EXPIRES``)."""
        return tuple(
            (i, e) for i, e in enumerate(self.elements) if e.reservation == ReservationType.RESERVATION_EXPIRES
        )


def parse_tariff(data: dict[str, Any]) -> Tariff:
    """Parse an OCPI Tariff JSON object. Alias of :meth:`Tariff.from_ocpi`."""
    return Tariff.from_ocpi(data)
