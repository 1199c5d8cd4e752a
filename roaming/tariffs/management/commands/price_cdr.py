"""``python manage.py price_cdr TARIFF.json CDR.json [--time-zone TZ]``: recompute a CDR's cost from its charging
periods under a tariff and compare it with the CDR's own figures.

Both files may hold a bare OCPI object, an OCPI response envelope (``{"data": {...}, "status_code": 1000, ...}``) or
a one-element list. The CDR may be partial: ``end_date_time``, ``currency`` and ``charging_periods`` suffice.

Time zone of the location (tariff restrictions are local time), first hit wins:

1. ``--time-zone``;
2. ``cdr_location.time_zone`` in the CDR JSON (not an OCPI 2.2.1 field, but handy in test files);
3. the time zone of the Location the CDR names, when we hold it (``Command.time_zone_resolver``, by default
   ``roaming.locations.selectors.location_time_zone_for_cdr``);
4. ``UTC``.

Prints JSON: ``recomputed`` (``total_cost``, ``total_fixed_cost``, ``total_energy_cost``, ``total_time_cost``,
``total_parking_cost``, ``total_reservation_cost`` as ``{"excl_vat": "…", "incl_vat": "…"}`` decimal strings, plus
``total_energy``/``total_time``/``total_parking_time``), ``cdr`` (the CDR's figures, ``null`` when absent),
``difference`` (recomputed minus CDR), ``matches``, ``warnings`` and the recomputed ``charging_periods``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError

from roaming.locations.selectors import location_time_zone_for_cdr
from roaming.tariffs.pricing import (
    TariffParseError,
    compare_with_cdr,
    parse_tariff,
    price_cdr,
    resolve_time_zone,
    unwrap_ocpi_object,
)


def _load(path: str, what: str) -> dict[str, Any]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {what} file {path}: {exc}")
    except json.JSONDecodeError as exc:
        raise CommandError(f"{what} file {path} is not valid JSON: {exc}")
    try:
        return unwrap_ocpi_object(raw)
    except ValueError as exc:
        raise CommandError(f"{what} file {path}: {exc}")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class Command(BaseCommand):
    help = "Recompute an OCPI CDR's cost from its charging periods under a tariff and show the differences."

    # Consulted after --time-zone and cdr_location.time_zone: maps the CDR dict to an IANA zone name.
    time_zone_resolver: ClassVar[Callable[[Mapping[str, Any]], str | None] | None] = staticmethod(
        location_time_zone_for_cdr
    )

    def add_arguments(self, parser):
        parser.add_argument("tariff", help="OCPI Tariff JSON file")
        parser.add_argument("cdr", help="OCPI CDR JSON file (charging_periods and end_date_time are enough)")
        parser.add_argument("--time-zone", default=None, help="IANA time zone of the location, e.g. Europe/Amsterdam")
        parser.add_argument(
            "--vat-absent-unknown",
            action="store_true",
            help="Treat price components without vat as 'VAT unknown' (incl_vat null) instead of 'no VAT'",
        )

    def handle(self, *args, tariff: str, cdr: str, time_zone: str | None = None, **options):
        tariff_data = _load(tariff, "tariff")
        cdr_data = _load(cdr, "CDR")
        try:
            parsed = parse_tariff(tariff_data)
        except TariffParseError as exc:
            raise CommandError(f"invalid tariff: {exc}")
        resolver = self.time_zone_resolver  # a staticmethod: the plain function
        try:
            zone, source = resolve_time_zone(cdr_data, time_zone, resolver)
            result = price_cdr(
                parsed,
                cdr_data,
                time_zone=zone,
                vat_absent_means_unknown=options.get("vat_absent_unknown", False),
            )
        except (ValueError, KeyError) as exc:
            raise CommandError(f"cannot price the CDR: {exc}")
        report = {
            "tariff_id": parsed.id,
            "cdr_id": cdr_data.get("id"),
            "currency": parsed.currency,
            "time_zone": zone,
            "time_zone_source": source,
            **compare_with_cdr(result, cdr_data),
            "charging_periods": result.charging_periods,
        }
        self.stdout.write(json.dumps(report, indent=2, default=_json_default, ensure_ascii=False))
