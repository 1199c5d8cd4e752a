"""What a reconciliation compares, per module: how an object is keyed, which of our rows are the partner's, and the
fields a user cares about, from our row and from the partner's OCPI JSON in one comparable, JSON-able shape
(decimals as normalised strings, times as ``YYYY-MM-DDTHH:MM:SSZ``).

* CDRs: times, energy, durations and totals (mod_cdrs.asciidoc, CDR object);
* Sessions: status, kWh, cost, end (mod_sessions.asciidoc, Session object);
* Locations: ``last_updated`` and each EVSE's status (mod_locations.asciidoc);
* Tariffs: currency, type, validity window, ``last_updated``, and whether we retired it;
* Tokens: ``valid``, ``whitelist``, ``contract_id``, ``last_updated``.

The same summaries compare our own objects (``own``: locations, tariffs and sessions of our CPO, tokens of our
eMSP) with the partner's copy read back from its Receiver.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.db.models import Model, Q

from roaming.cdrs.choices import Direction
from roaming.cdrs.models import Cdr
from roaming.locations.models import Location
from roaming.ocpi.datetimes import format_datetime, parse_datetime
from roaming.sessions.models import ChargingSession
from roaming.tariffs.models import Tariff
from roaming.tokens.models import Token

Key = tuple[str, ...]


def dec(value: Any) -> str | None:
    """A number as a normalised decimal string (``1.50`` and ``1.5`` compare equal; never through a float)."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(number.normalize(), "f") if number else "0"


def stamp(value: Any) -> str | None:
    """A time as ``YYYY-MM-DDTHH:MM:SSZ`` (partners send ``+00:00``, milliseconds or no zone)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            return value
    return format_datetime(value)


def _price(obj: dict, name: str, part: str) -> Any:
    price = obj.get(name)
    return price.get(part) if isinstance(price, dict) else None


@dataclass(frozen=True)
class ModuleSpec:
    """How one module's objects are keyed, selected and summarised for comparison."""

    module: str
    model: type[Model]
    id_field: str
    #: our rows of the partner's objects (``partner_id`` -> Q)
    held: Callable[[int], Q]
    #: the model fields ``summarise_held`` reads (``values()``)
    fields: tuple[str, ...]
    summarise_held: Callable[[dict], dict]
    summarise_ocpi: Callable[[dict], dict]
    #: a CDR is immutable (mod_cdrs.asciidoc): one that differs is reviewed, never overwritten
    immutable: bool = False
    #: with ``type`` in the key (tokens)
    typed: bool = False
    #: whether our summary is of an object already marked removed (a full pull did; not missing there any more)
    is_removed: Callable[[dict], bool] = lambda summary: False
    #: our own objects the module's push gives this partner (``partner_id`` -> Q), for modules we own and push to a
    #: partner's Receiver; None where it does not apply (CDRs we sent are read back at their ``Location`` URL)
    own: Callable[[int], Q] | None = None

    def key_of_ocpi(self, obj: Any) -> Key | None:
        if not isinstance(obj, dict):
            return None
        object_id = obj.get("uid" if self.typed else "id")
        parts = [obj.get("country_code"), obj.get("party_id"), object_id]
        if not all(isinstance(p, str) and p for p in parts):
            return None
        key = tuple(p.upper() for p in parts)
        if self.typed:
            key += (str(obj.get("type") or obj.get("token_type") or "RFID").upper(),)
        return key

    def label_of_ocpi(self, obj: dict) -> str:
        """``country_code/party_id/id`` (tokens: ``/type``) as the partner spells the id."""
        parts = [str(obj["country_code"]).upper(), str(obj["party_id"]).upper(), obj["uid" if self.typed else "id"]]
        if self.typed:
            parts.append(str(obj.get("type") or obj.get("token_type") or "RFID").upper())
        return "/".join(parts)

    def label_of_held(self, row: dict) -> str:
        parts = [row["country_code"], row["party_id"], row[self.id_field]]
        return "/".join([*parts, row["type"]] if self.typed else parts)

    def receiver_path_of_held(self, row: dict) -> str:
        """The tail of the partner's Receiver URL of one of our objects, as the module's push addresses it:
        ``{country_code}/{party_id}/{id}`` (tokens: ``?type={type}``, mod_tokens.asciidoc Receiver interface)."""
        path = "/".join([row["country_code"], row["party_id"], quote(row[self.id_field], safe="")])
        return f"{path}?type={row['type']}" if self.typed else path

    def key_of_held(self, row: dict) -> Key:
        key = (row["country_code"], row["party_id"], row[self.id_field].upper())
        return (*key, row["type"]) if self.typed else key


def visible(summary: dict) -> dict:
    """A summary without our bookkeeping (``_label``): what is compared and shown."""
    return {k: v for k, v in summary.items() if not k.startswith("_")}


def _cdr_held(row: dict) -> dict:
    return {
        "start_date_time": stamp(row["start_date_time"]),
        "end_date_time": stamp(row["end_date_time"]),
        "currency": row["currency"],
        "total_energy": dec(row["total_energy"]),
        "total_time": dec(row["total_time"]),
        "total_parking_time": dec(row["total_parking_time"]),
        "total_cost.excl_vat": dec(row["total_cost_excl_vat"]),
        "total_cost.incl_vat": dec(row["total_cost_incl_vat"]),
    }


def _cdr_ocpi(obj: dict) -> dict:
    return {
        "start_date_time": stamp(obj.get("start_date_time")),
        "end_date_time": stamp(obj.get("end_date_time")),
        "currency": obj.get("currency"),
        "total_energy": dec(obj.get("total_energy")),
        "total_time": dec(obj.get("total_time")),
        "total_parking_time": dec(obj.get("total_parking_time")),
        "total_cost.excl_vat": dec(_price(obj, "total_cost", "excl_vat")),
        "total_cost.incl_vat": dec(_price(obj, "total_cost", "incl_vat")),
    }


def _session_held(row: dict) -> dict:
    return {
        "status": row["status"],
        "kwh": dec(row["kwh"]),
        "total_cost.excl_vat": dec(row["total_cost_excl_vat"]),
        "total_cost.incl_vat": dec(row["total_cost_incl_vat"]),
        "end_date_time": stamp(row["end_date_time"]),
        "last_updated": stamp(row["last_updated"]),
    }


def _session_ocpi(obj: dict) -> dict:
    return {
        "status": str(obj.get("status") or "").upper() or None,
        "kwh": dec(obj.get("kwh")),
        "total_cost.excl_vat": dec(_price(obj, "total_cost", "excl_vat")),
        "total_cost.incl_vat": dec(_price(obj, "total_cost", "incl_vat")),
        "end_date_time": stamp(obj.get("end_date_time")),
        "last_updated": stamp(obj.get("last_updated")),
    }


def _location_held(row: dict) -> dict:
    summary = {"last_updated": stamp(row["last_updated"])}
    summary.update({f"evses[{uid}].status": status for uid, status in sorted(row.get("evses", {}).items())})
    return summary


def _location_ocpi(obj: dict) -> dict:
    summary = {"last_updated": stamp(obj.get("last_updated"))}
    evses = [e for e in obj.get("evses") or [] if isinstance(e, dict) and isinstance(e.get("uid"), str)]
    summary.update({f"evses[{e['uid'].upper()}].status": str(e.get("status") or "").upper() for e in evses})
    return summary


def _tariff_held(row: dict) -> dict:
    return {
        "currency": row["currency"],
        "type": row["type"] or None,
        "start_date_time": stamp(row["start_date_time"]),
        "end_date_time": stamp(row["end_date_time"]),
        "last_updated": stamp(row["last_updated"]),
        "retired": row["retired_at"] is not None,
    }


def _tariff_ocpi(obj: dict) -> dict:
    return {
        "currency": obj.get("currency"),
        "type": obj.get("type") or None,
        "start_date_time": stamp(obj.get("start_date_time")),
        "end_date_time": stamp(obj.get("end_date_time")),
        "last_updated": stamp(obj.get("last_updated")),
        "retired": False,  # the partner lists it: it is current
    }


def _token_held(row: dict) -> dict:
    return {
        "valid": row["valid"],
        "whitelist": row["whitelist"],
        "contract_id": row["contract_id"],
        "last_updated": stamp(row["last_updated"]),
    }


def _token_ocpi(obj: dict) -> dict:
    return {
        "valid": obj.get("valid"),
        "whitelist": str(obj.get("whitelist") or "").upper() or None,
        "contract_id": obj.get("contract_id"),
        "last_updated": stamp(obj.get("last_updated")),
    }


_KEY = ("country_code", "party_id")

SPECS: dict[str, ModuleSpec] = {
    "cdrs": ModuleSpec(
        module="cdrs",
        model=Cdr,
        id_field="cdr_id",
        held=lambda partner_id: Q(direction=Direction.RECEIVED, partner_id=partner_id),
        fields=(
            *_KEY,
            "cdr_id",
            "start_date_time",
            "end_date_time",
            "currency",
            "total_energy",
            "total_time",
            "total_parking_time",
            "total_cost_excl_vat",
            "total_cost_incl_vat",
        ),
        summarise_held=_cdr_held,
        summarise_ocpi=_cdr_ocpi,
        immutable=True,
    ),
    "sessions": ModuleSpec(
        module="sessions",
        model=ChargingSession,
        id_field="session_id",
        held=lambda partner_id: Q(source_partner_id=partner_id),
        fields=(
            *_KEY,
            "session_id",
            "status",
            "kwh",
            "total_cost_excl_vat",
            "total_cost_incl_vat",
            "end_date_time",
            "last_updated",
        ),
        summarise_held=_session_held,
        summarise_ocpi=_session_ocpi,
        # only the eMSP of the driver's token gets the session (mod_sessions.asciidoc; ``session_push_put``)
        own=lambda partner_id: Q(source_partner__isnull=True, emsp_partner_id=partner_id),
    ),
    "locations": ModuleSpec(
        module="locations",
        model=Location,
        id_field="location_id",
        held=lambda partner_id: Q(source_partner_id=partner_id),
        fields=(*_KEY, "id", "location_id", "last_updated"),
        summarise_held=_location_held,
        summarise_ocpi=_location_ocpi,
        is_removed=lambda s: all(v == "REMOVED" for k, v in s.items() if k.startswith("evses[")),
        # every partner with a locations Receiver gets all of them (``locations_push_own``): ``publish`` and
        # ``publish_allowed_to`` travel inside the object and tell the eMSP whom to show it to
        own=lambda partner_id: Q(source_partner__isnull=True),
    ),
    "tariffs": ModuleSpec(
        module="tariffs",
        model=Tariff,
        id_field="tariff_id",
        held=lambda partner_id: Q(source_partner_id=partner_id),
        fields=(
            *_KEY,
            "tariff_id",
            "currency",
            "type",
            "start_date_time",
            "end_date_time",
            "last_updated",
            "retired_at",
        ),
        summarise_held=_tariff_held,
        summarise_ocpi=_tariff_ocpi,
        is_removed=lambda s: s["retired"],
        own=lambda partner_id: Q(source_partner__isnull=True),  # every tariffs Receiver (``tariff_save_own``)
    ),
    "tokens": ModuleSpec(
        module="tokens",
        model=Token,
        id_field="uid",
        held=lambda partner_id: Q(source_partner_id=partner_id),
        fields=(*_KEY, "uid", "type", "valid", "whitelist", "contract_id", "last_updated"),
        summarise_held=_token_held,
        summarise_ocpi=_token_ocpi,
        is_removed=lambda s: s["valid"] is False,
        typed=True,
        own=lambda partner_id: Q(source_partner__isnull=True),  # every tokens Receiver (``token_save_own``)
    ),
}


def last_updated_of(summary: dict | None, obj: dict | None = None) -> datetime | None:
    """The ``last_updated`` a summary or OCPI object carries, as a datetime (None when it has none)."""
    value = (summary or {}).get("last_updated") or (obj or {}).get("last_updated")
    try:
        return parse_datetime(value) if isinstance(value, str) else value
    except ValueError:
        return None
