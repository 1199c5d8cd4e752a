"""Price check of a CDR with our engine (mod_cdrs.asciidoc, "CDRs should contain enough information (dimensions)
to allow the eMSP to validate the total cost"; pricing per mod_tariffs.asciidoc).

The tariff comes from the CDR itself (the Tariff a charging period names, or its only Tariff), else from what we
hold: the tariff a period names, or the first tariff of the connector as the CPO published it. Restrictions are
read in the location's time zone (a CdrLocation has none: the Location we hold, else UTC).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from roaming.cdrs.choices import PriceCheck
from roaming.locations.models import Connector, Location
from roaming.ocpi.datetimes import parse_datetime
from roaming.tariffs import pricing
from roaming.tariffs.ocpi.render import jsonable, tariff_to_ocpi
from roaming.tariffs.selectors import tariff_get, tariff_prices_at


@dataclass(frozen=True)
class PriceCheckResult:
    """``status`` and, when checked, the difference (ours minus theirs, total cost excl. VAT) and the report of
    ``pricing.compare_with_cdr`` plus where the tariff came from (``tariff_source``) or why it was not checked."""

    status: str
    difference: Decimal | None
    report: dict[str, Any]


def _period_tariff_ids(cdr: Mapping) -> list[str]:
    ids = [p.get("tariff_id") for p in cdr.get("charging_periods") or [] if p.get("tariff_id")]
    return list(dict.fromkeys(ids))


def _held_location(cdr: Mapping) -> Location | None:
    location = cdr.get("cdr_location") or {}
    return (
        Location.objects.filter(
            country_code=str(cdr.get("country_code", "")).upper(),
            party_id=str(cdr.get("party_id", "")).upper(),
            location_id__iexact=location.get("id", ""),
        )
        .only("pk", "time_zone")
        .first()
    )


def _start(cdr: Mapping):
    """The CDR's start as a datetime (validated data carries one, a raw payload a string), or None."""
    value = cdr.get("start_date_time")
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return value


def _find_tariff(cdr: Mapping) -> tuple[dict | None, str]:
    """(Tariff JSON, where it came from) for the CDR, or (None, why not)."""
    carried = cdr.get("tariffs") or []
    named = _period_tariff_ids(cdr)
    for tariff_id in named[:1]:
        for tariff in carried:
            if str(tariff.get("id", "")).upper() == tariff_id.upper():
                return tariff, f"tariff {tariff['id']} carried by the CDR"
    if len(carried) == 1 and not named:
        return carried[0], f"tariff {carried[0]['id']} carried by the CDR"
    country_code, party_id = str(cdr.get("country_code", "")), str(cdr.get("party_id", ""))
    for tariff_id in named[:1]:
        held = tariff_get(country_code=country_code, party_id=party_id, tariff_id=tariff_id)
        if held is not None and tariff_prices_at(held, _start(cdr)):
            return jsonable(tariff_to_ocpi(held)), f"tariff {held.tariff_id} as we hold it"
    location = cdr.get("cdr_location") or {}
    connector = (
        Connector.objects.filter(
            evse__location__country_code=country_code.upper(),
            evse__location__party_id=party_id.upper(),
            evse__location__location_id__iexact=location.get("id", ""),
            evse__uid__iexact=location.get("evse_uid", ""),
            connector_id__iexact=location.get("connector_id", ""),
        )
        .only("tariff_ids")
        .first()
    )
    for tariff_id in (connector.tariff_ids if connector else [])[:1]:
        held = tariff_get(country_code=country_code, party_id=party_id, tariff_id=str(tariff_id))
        if held is not None and tariff_prices_at(held, _start(cdr)):
            return jsonable(tariff_to_ocpi(held)), f"tariff {held.tariff_id} of the connector, as we hold it"
    return None, "no tariff in the CDR and none held for its connector"


_LOCAL_TIME_KEYS = frozenset({"start_time", "end_time", "start_date", "end_date", "day_of_week"})


def _local_time_matters(tariff: Mapping) -> bool:
    """Whether any restriction reads the local clock or calendar (else the time zone cannot change the price, and
    we spare the lookup of the location's)."""
    return any(_LOCAL_TIME_KEYS & set(element.get("restrictions") or {}) for element in tariff.get("elements") or [])


def _exceeds(difference: dict | None, tolerance: Decimal) -> bool:
    if not difference:
        return False
    return any(
        difference.get(part) is not None and abs(Decimal(difference[part])) > tolerance
        for part in ("excl_vat", "incl_vat")
    )


def cdr_price_check(*, cdr: Mapping, tolerance: Decimal | None = None) -> PriceCheckResult:
    """Re-price the CDR (OCPI JSON) with our engine and compare; a total cost differing by more than ``tolerance``
    (default ``settings.CDR_PRICE_TOLERANCE``, in the currency) is a mismatch. Credit CDRs are not checked."""
    tolerance = settings.CDR_PRICE_TOLERANCE if tolerance is None else tolerance
    if cdr.get("credit"):
        return PriceCheckResult(PriceCheck.UNCHECKED, None, {"reason": "credit CDR"})
    tariff_json, source = _find_tariff(cdr)
    if tariff_json is None:
        return PriceCheckResult(PriceCheck.UNCHECKED, None, {"reason": source})
    held = _held_location(cdr) if _local_time_matters(tariff_json) else None
    try:
        zone, _ = pricing.resolve_time_zone(cdr, resolver=lambda _cdr: held.time_zone if held else None)
        result = pricing.price_cdr(pricing.parse_tariff(tariff_json), cdr, time_zone=zone)
    except (pricing.TariffParseError, ValueError, ArithmeticError) as exc:
        return PriceCheckResult(PriceCheck.UNCHECKED, None, {"reason": f"cannot be priced: {exc}"})
    report = jsonable(pricing.compare_with_cdr(result, cdr))
    report.update({"tariff_source": source, "time_zone": zone, "tolerance": str(tolerance)})
    total = report["difference"]["total_cost"]
    difference = Decimal(total["excl_vat"]) if total else None
    status = PriceCheck.MISMATCH if _exceeds(total, tolerance) else PriceCheck.MATCH
    return PriceCheckResult(status, difference, report)
