"""Tariff as OCPI 2.2.1 JSON (mod_tariffs.asciidoc, "Tariff Object").

Emit strictly: keys in the spec's order, optional fields left out when empty (``?``: absent = not set; ``*``:
absent = empty list), DateTimes as ``YYYY-MM-DDTHH:MM:SSZ`` and every number of a price component, a restriction
and a Price as ``Decimal`` (the OCPI renderer writes them as JSON numbers), never a float.
"""

import json
from decimal import Decimal

from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.renderers import dumps
from roaming.tariffs.models import Tariff

# Members of the stored elements that are OCPI numbers kept as decimal strings (see ocpi/serializers.py).
_DECIMAL_KEYS = frozenset(
    {"price", "vat", "min_kwh", "max_kwh", "min_current", "max_current", "min_power", "max_power"}
)


def _numbers(value):
    """Stored element JSON back to OCPI JSON: decimal strings to ``Decimal``, in nested dicts and lists."""
    if isinstance(value, dict):
        return {
            key: Decimal(str(item)) if key in _DECIMAL_KEYS and item is not None else _numbers(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_numbers(item) for item in value]
    return value


def _price(excl_vat: Decimal | None, incl_vat: Decimal | None) -> dict | None:
    if excl_vat is None:
        return None
    price = {"excl_vat": Decimal(excl_vat)}
    if incl_vat is not None:
        price["incl_vat"] = Decimal(incl_vat)
    return price


def tariff_to_ocpi(tariff: Tariff) -> dict:
    """Tariff object (mod_tariffs.asciidoc, Tariff Object) with Decimal numbers."""
    data: dict = {
        "country_code": tariff.country_code,
        "party_id": tariff.party_id,
        "id": tariff.tariff_id,
        "currency": tariff.currency,
    }
    if tariff.type:
        data["type"] = tariff.type
    if tariff.tariff_alt_text:
        data["tariff_alt_text"] = tariff.tariff_alt_text
    if tariff.tariff_alt_url:
        data["tariff_alt_url"] = tariff.tariff_alt_url
    if (min_price := _price(tariff.min_price_excl_vat, tariff.min_price_incl_vat)) is not None:
        data["min_price"] = min_price
    if (max_price := _price(tariff.max_price_excl_vat, tariff.max_price_incl_vat)) is not None:
        data["max_price"] = max_price
    # elements is "+" (required): always present.
    data["elements"] = _numbers(tariff.elements or [])
    if tariff.start_date_time is not None:
        data["start_date_time"] = format_datetime(tariff.start_date_time)
    if tariff.end_date_time is not None:
        data["end_date_time"] = format_datetime(tariff.end_date_time)
    if tariff.energy_mix:
        data["energy_mix"] = tariff.energy_mix
    data["last_updated"] = format_datetime(tariff.last_updated)
    return data


def jsonable(data):
    """``data`` as plain JSON types, exactly as the OCPI renderer puts it on the wire (for JSON columns such as the
    push outbox's body, which cannot hold a ``Decimal``)."""
    return json.loads(dumps(data))
