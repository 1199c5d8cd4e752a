"""OCPI 2.2.1 tariff pricing engine — pure Python (dataclasses, Decimal, datetime, zoneinfo; no Django).

Implements mod_tariffs.asciidoc (Tariff, TariffElement, PriceComponent, TariffRestrictions and the worked
examples) and the cost rules of mod_cdrs.asciidoc (§ChargingPeriod, §step_size), branch ``release-2.2.1-bugfixes``.
The exact segmentation, first-match, step_size, FLAT, VAT, min/max price and rounding rules are documented in
:mod:`roaming.tariffs.pricing.engine`.

Typical use::

    tariff = parse_tariff(tariff_json)
    timeline = Timeline.constant_charge("2024-05-06T07:30:00Z", energy_kwh=20, power_kw=11,
                                        parking=40, time_zone="Europe/Amsterdam")
    result = price_session(tariff, timeline)
    result.total_cost            # Price(excl_vat=Decimal('7.00'), incl_vat=Decimal('7.90'))
    result.to_ocpi()             # CDR cost/volume fields and charging_periods
    describe_tariff(tariff)      # "€0.50 start fee + €0.25/kWh + €2.00/h parking (billed per 15 min)"
"""

from .cdr import compare_with_cdr, price_cdr, resolve_time_zone, timeline_from_cdr, unwrap_ocpi_object
from .describe import describe_tariff
from .engine import (
    AppliedComponent,
    CostCategory,
    FlatFee,
    PeriodKind,
    PricedPeriod,
    PricingResult,
    price_session,
)
from .money import Price, format_money, minor_units, round_money
from .running import RunningPrice
from .tariff import (
    Dimension,
    PriceComponent,
    ReservationType,
    Restrictions,
    Tariff,
    TariffElement,
    TariffParseError,
    parse_tariff,
)
from .timeline import Interval, Reservation, Timeline

__all__ = [
    "AppliedComponent",
    "CostCategory",
    "Dimension",
    "FlatFee",
    "Interval",
    "PeriodKind",
    "Price",
    "PriceComponent",
    "PricedPeriod",
    "PricingResult",
    "Reservation",
    "ReservationType",
    "Restrictions",
    "RunningPrice",
    "Tariff",
    "TariffElement",
    "TariffParseError",
    "Timeline",
    "compare_with_cdr",
    "describe_tariff",
    "format_money",
    "minor_units",
    "parse_tariff",
    "price_cdr",
    "price_session",
    "resolve_time_zone",
    "round_money",
    "timeline_from_cdr",
    "unwrap_ocpi_object",
]
