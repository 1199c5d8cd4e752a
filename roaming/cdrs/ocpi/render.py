"""CDR as OCPI 2.2.1 JSON (mod_cdrs.asciidoc, "CDR Object"), and validated input as the values we store.

Emit strictly: keys in the spec's order, optional fields left out when empty, DateTimes as
``YYYY-MM-DDTHH:MM:SSZ``, money as ``Decimal`` (the OCPI renderer writes JSON numbers, never through a float).
"""

from collections.abc import Mapping
from decimal import Decimal

import orjson

from roaming.cdrs.models import COSTS, Cdr
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.renderers import dumps
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import jsonable, tariff_to_ocpi

#: the OCPI members of a CDR in the spec's order, as model fields
_TEXT_OPTIONAL = ("session_id", "authorization_reference", "meter_id")


def _price(cdr: Cdr, prefix: str) -> dict | None:
    excl = getattr(cdr, f"{prefix}_excl_vat")
    if excl is None:
        return None
    price = {"excl_vat": Decimal(excl)}
    incl = getattr(cdr, f"{prefix}_incl_vat")
    if incl is not None:
        price["incl_vat"] = Decimal(incl)
    return price


def cdr_to_ocpi(cdr: Cdr) -> dict:
    """CDR object with Decimal money (one row, no relations: a page of CDRs costs one query)."""
    data: dict = {
        "country_code": cdr.country_code,
        "party_id": cdr.party_id,
        "id": cdr.cdr_id,
        "start_date_time": format_datetime(cdr.start_date_time),
        "end_date_time": format_datetime(cdr.end_date_time),
    }
    if cdr.session_id:
        data["session_id"] = cdr.session_id
    data["cdr_token"] = cdr.cdr_token
    data["auth_method"] = cdr.auth_method
    if cdr.authorization_reference:
        data["authorization_reference"] = cdr.authorization_reference
    data["cdr_location"] = cdr.cdr_location
    if cdr.meter_id:
        data["meter_id"] = cdr.meter_id
    data["currency"] = cdr.currency
    if cdr.tariffs:
        data["tariffs"] = cdr.tariffs
    data["charging_periods"] = cdr.charging_periods
    if cdr.signed_data:
        data["signed_data"] = cdr.signed_data
    for prefix, _ in COSTS:
        price = _price(cdr, prefix)
        if price is not None:
            data[prefix] = price
        if prefix == "total_fixed_cost":
            data["total_energy"] = Decimal(cdr.total_energy).normalize() + 0
        elif prefix == "total_energy_cost":
            data["total_time"] = Decimal(cdr.total_time).normalize() + 0
        elif prefix == "total_time_cost" and cdr.total_parking_time is not None:
            data["total_parking_time"] = Decimal(cdr.total_parking_time).normalize() + 0
    if cdr.remark:
        data["remark"] = cdr.remark
    if cdr.invoice_reference_id:
        data["invoice_reference_id"] = cdr.invoice_reference_id
    if cdr.credit:
        data["credit"] = True
        data["credit_reference_id"] = cdr.credit_reference_id
    if cdr.home_charging_compensation is not None:
        data["home_charging_compensation"] = cdr.home_charging_compensation
    data["last_updated"] = format_datetime(cdr.last_updated)
    return data


def cdr_ocpi_json(cdr: Cdr) -> str:
    """``cdr_to_ocpi`` as the JSON text our OCPI renderer writes: what ``Cdr.ocpi_json`` stores."""
    return dumps(cdr_to_ocpi(cdr)).decode()


def cdrs_to_ocpi(rows: list[Cdr]) -> list:
    """A page of CDRs for the Sender list: the JSON stored at creation, inserted as is (``orjson.Fragment``), and
    rows stored without it (written by a bulk insert) rendered from their full row, read in one query."""
    missing = [row.pk for row in rows if row.ocpi_json is None]
    full = Cdr.objects.in_bulk(missing) if missing else {}
    return [cdr_to_ocpi(full[row.pk]) if row.ocpi_json is None else orjson.Fragment(row.ocpi_json) for row in rows]


def _tariff_json(tariff: Mapping) -> dict:
    """A validated Tariff (``TariffSerializer``) as the OCPI JSON we store inside the CDR."""
    min_price, max_price = tariff.get("min_price") or {}, tariff.get("max_price") or {}
    model = Tariff(
        country_code=tariff["country_code"],
        party_id=tariff["party_id"],
        tariff_id=tariff["id"],
        currency=tariff["currency"],
        type=tariff.get("type") or "",
        tariff_alt_text=tariff.get("tariff_alt_text") or [],
        tariff_alt_url=tariff.get("tariff_alt_url") or "",
        min_price_excl_vat=min_price.get("excl_vat"),
        min_price_incl_vat=min_price.get("incl_vat"),
        max_price_excl_vat=max_price.get("excl_vat"),
        max_price_incl_vat=max_price.get("incl_vat"),
        elements=tariff["elements"],
        start_date_time=tariff.get("start_date_time"),
        end_date_time=tariff.get("end_date_time"),
        energy_mix=tariff.get("energy_mix") or None,
        last_updated=tariff["last_updated"],
    )
    return jsonable(tariff_to_ocpi(model))


def cdr_fields(data: Mapping) -> dict:
    """Validated CDR data (``validate_cdr``) as model field values."""
    token, location = data["cdr_token"], data["cdr_location"]
    fields = {
        "country_code": data["country_code"],
        "party_id": data["party_id"],
        "cdr_id": data["id"],
        "start_date_time": data["start_date_time"],
        "end_date_time": data["end_date_time"],
        "cdr_token": jsonable(token),
        "auth_method": data["auth_method"],
        "cdr_location": jsonable(location),
        "currency": data["currency"],
        "tariffs": [_tariff_json(t) for t in data.get("tariffs") or []],
        "charging_periods": jsonable(data.get("charging_periods") or []),
        "signed_data": jsonable(data["signed_data"]) if data.get("signed_data") else None,
        "total_energy": data["total_energy"],
        "total_time": data["total_time"],
        "total_parking_time": data.get("total_parking_time"),
        "remark": data.get("remark") or "",
        "invoice_reference_id": data.get("invoice_reference_id") or "",
        "credit": bool(data.get("credit")),
        "credit_reference_id": data.get("credit_reference_id") or "",
        "home_charging_compensation": data.get("home_charging_compensation"),
        "last_updated": data["last_updated"],
        "token_country_code": token.get("country_code", ""),
        "token_party_id": token.get("party_id", ""),
        "location_country": location["country"],
    }
    for name in _TEXT_OPTIONAL:
        fields[name] = data.get(name) or ""
    for prefix, _ in COSTS:
        price = data.get(prefix) or {}
        fields[f"{prefix}_excl_vat"] = price.get("excl_vat")
        fields[f"{prefix}_incl_vat"] = price.get("incl_vat")
    return fields
