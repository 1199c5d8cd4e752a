"""The pricing engine's result types: priced charging periods, flat fees and the session's totals, with their OCPI
output (mod_cdrs.asciidoc §CDR object, §ChargingPeriod, §CdrDimension). The rules that fill them are in
:mod:`roaming.tariffs.pricing.engine`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from roaming.ocpi.datetimes import format_datetime

from .money import Price
from .tariff import Dimension, PriceComponent
from .timeline import HOUR

ONE = Decimal(1)
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
CATEGORIES = tuple(CostCategory)
CATEGORY_VALUES = tuple(c.value for c in CATEGORIES)


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


def ocpi_volume(value: Decimal) -> Decimal:
    """Volume for OCPI output: at most 6 decimals, no exponent notation, no trailing zeros."""
    q = value.quantize(_VOLUME_PLACES)
    if q == q.to_integral_value():
        return q.quantize(ONE)
    return q.normalize()


_new = object.__new__


def build_frozen(cls: type, fields: dict[str, Any]) -> Any:
    """An instance of the frozen (non-slots) dataclass ``cls`` with every field given in ``fields``.

    The generated ``__init__`` of a frozen dataclass sets each field through ``object.__setattr__``; filling the
    instance's ``__dict__`` in one call gives the same object at a third of the cost, which counts for the
    engine's per-period objects (issue 13). Only for classes without ``__post_init__``, with all fields given.
    """
    obj = _new(cls)
    obj.__dict__.update(fields)
    return obj
