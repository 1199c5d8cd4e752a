"""eMSP side of the locations module: writes of what a CPO partner pushes to our Receiver interface or what we pull
from its Sender interface (OCPI 2.2.1 mod_locations.asciidoc, "Receiver Interface" PUT and PATCH, "GET List";
transport_and_format.asciidoc, "Client Owned Object Push").

Rules applied here, for every entry point:

* ``data`` is the output of ``roaming.locations.ocpi.serializers`` (validated, normalised); ids in the URL must
  equal the ids in the body (CiStrings, compared case-insensitively) and a Location's ``country_code``/``party_id``
  must equal the URL's, else ``InvalidInput`` (OCPI 2001);
* PUT creates or replaces: fields left out revert to empty, a Location PUT replaces its EVSE list, an EVSE PUT its
  Connector list (EVSEs/Connectors no longer sent are deleted: the partner's object is the truth);
* PATCH changes only what it carries; nested objects in a PATCH (``evses`` of a Location, ``connectors`` of an EVSE)
  are complete objects and are upserted by id, others stay as they are;
* an update whose ``last_updated`` is older than what we hold is acknowledged and ignored (a late or repeated
  delivery must not undo a newer state); an equal one is applied;
* a change to an EVSE or Connector sets its parents' ``last_updated`` to the child's when that is later ("the
  Receiver SHALL also set the new last_updated value on the parent EVSE and Location Objects");
* PATCH of an unknown object, or PUT of a child under an unknown parent: ``LocationNotFound`` (OCPI 2003) for the
  Location, ``ObjectNotFound`` (2000) for an EVSE or Connector, both HTTP 404;
* every write runs in one transaction and locks the Location row first (``select_for_update``), so concurrent pushes
  to one Location, or to its EVSEs, apply one after the other;
* the writing partner is kept in ``source_partner`` and the time in ``received_at``; ``raw`` holds the last complete
  Location payload as the partner sent it (PUT or pull). Partial payloads (PATCH, EVSE/Connector PUT) are not stored
  there, they stay in the traffic log.
"""

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from rest_framework import serializers as drf_serializers

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.ocpi.serializers import LocationSerializer
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.renderers import dumps
from roaming.partners.models import PartnerRole


class WriteOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    IGNORED = "ignored"  # older than what we hold: acknowledged, not applied


class LocationNotFound(ObjectNotFound):
    """The addressed Location does not exist here (OCPI views answer 404 with status 2003, Unknown Location)."""

    default_message = "Unknown Location."


# OCPI member -> (model field, value a PUT stores when the member is absent)
_LOCATION_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "country_code": ("country_code", str),
    "party_id": ("party_id", str),
    "id": ("location_id", str),
    "publish": ("publish", bool),
    "publish_allowed_to": ("publish_allowed_to", list),
    "name": ("name", str),
    "address": ("address", str),
    "city": ("city", str),
    "postal_code": ("postal_code", str),
    "state": ("state", str),
    "country": ("country", str),
    "related_locations": ("related_locations", list),
    "parking_type": ("parking_type", str),
    "directions": ("directions", list),
    "operator": ("operator", lambda: None),
    "suboperator": ("suboperator", lambda: None),
    "owner": ("owner", lambda: None),
    "facilities": ("facilities", list),
    "time_zone": ("time_zone", str),
    "opening_times": ("opening_times", lambda: None),
    "charging_when_closed": ("charging_when_closed", lambda: None),
    "images": ("images", list),
    "energy_mix": ("energy_mix", lambda: None),
    "last_updated": ("last_updated", lambda: None),
}
_EVSE_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "uid": ("uid", str),
    "evse_id": ("evse_id", str),
    "status": ("status", str),
    "status_schedule": ("status_schedule", list),
    "capabilities": ("capabilities", list),
    "floor_level": ("floor_level", str),
    "physical_reference": ("physical_reference", str),
    "directions": ("directions", list),
    "parking_restrictions": ("parking_restrictions", list),
    "images": ("images", list),
    "last_updated": ("last_updated", lambda: None),
}
_CONNECTOR_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "id": ("connector_id", str),
    "standard": ("standard", str),
    "format": ("format", str),
    "power_type": ("power_type", str),
    "max_voltage": ("max_voltage", lambda: None),
    "max_amperage": ("max_amperage", lambda: None),
    "max_electric_power": ("max_electric_power", lambda: None),
    "tariff_ids": ("tariff_ids", list),
    "terms_and_conditions": ("terms_and_conditions", str),
    "last_updated": ("last_updated", lambda: None),
}
_LOCATION_KEY = ["country_code", "party_id", "location_id"]
_LOCATION_UPDATE_FIELDS = [
    *(attr for attr, _ in _LOCATION_FIELDS.values() if attr not in _LOCATION_KEY),
    "latitude",
    "longitude",
    "source_partner",
    "received_at",
    "raw",
    "updated_at",
]
_EVSE_UPDATE_FIELDS = [
    *(attr for attr, _ in _EVSE_FIELDS.values() if attr != "uid"),
    "latitude",
    "longitude",
    "updated_at",
]
_CONNECTOR_UPDATE_FIELDS = [*(attr for attr, _ in _CONNECTOR_FIELDS.values() if attr != "connector_id"), "updated_at"]


# --- mapping ----------------------------------------------------------------------------------------------------


_GEO_OBJECTS = (_LOCATION_FIELDS, _EVSE_FIELDS)  # the objects with a GeoLocation ``coordinates`` member


def _values(data: dict, fields: dict[str, tuple[str, Callable[[], Any]]], *, partial: bool) -> dict:
    """Model values for validated OCPI ``data``; a PUT (``partial=False``) resets absent members to empty."""
    values = {}
    for member, (attr, empty) in fields.items():
        if member in data:
            value = data[member]
            values[attr] = empty() if value is None else value
        elif not partial:
            values[attr] = empty()
    if fields not in _GEO_OBJECTS:
        return values
    coordinates = data.get("coordinates")
    if coordinates:
        values["latitude"], values["longitude"] = coordinates["latitude"], coordinates["longitude"]
    elif not partial:
        values["latitude"] = values["longitude"] = ""
    return values


def _as_json(raw: Any) -> Any:
    """The partner's payload made storable: Decimals become numbers, NUL characters (which PostgreSQL's jsonb
    cannot hold) are dropped."""
    if raw is None:
        return None
    blob = dumps(raw)
    if b"\\u0000" in blob:
        blob = blob.replace(b"\\u0000", b"")
    return orjson.loads(blob)


def _latest(data: dict, children: str | None = None) -> datetime:
    """``last_updated`` of an object, or of its newest nested child when that is later."""
    stamps = [data["last_updated"]]
    if children:
        stamps.extend(child["last_updated"] for child in data.get(children) or [])
    return max(stamps)


def _check_id(body_value: str | None, url_value: str, *, field: str, url_name: str) -> None:
    """URL id vs body id (transport_and_format.asciidoc, client owned objects: mismatch -> 2001). CiString."""
    if body_value is not None and body_value.upper() != url_value.upper():
        raise InvalidInput(f"'{body_value}' does not match the {url_name} '{url_value}' in the URL", field=field)


def _check_location_ids(data: dict, *, country_code: str, party_id: str, location_id: str) -> None:
    _check_id(data.get("country_code"), country_code, field="country_code", url_name="country_code")
    _check_id(data.get("party_id"), party_id, field="party_id", url_name="party_id")
    _check_id(data.get("id"), location_id, field="id", url_name="location_id")


# --- locking reads ----------------------------------------------------------------------------------------------


def _key(country_code: str, party_id: str, location_id: str) -> tuple[str, str, str]:
    return country_code.upper(), party_id.upper(), location_id.upper()


def _lock_locations(keys: Iterable[tuple[str, str, str]], *, with_evses: bool = True) -> dict[tuple, Location]:
    """Lock and return the stored Locations of ``keys`` (upper-cased), in one query plus the EVSE/Connector
    prefetch. Rows are locked in pk order so concurrent pages cannot deadlock each other."""
    by_party: dict[tuple[str, str], set[str]] = defaultdict(set)
    for country_code, party_id, location_id in keys:
        by_party[(country_code, party_id)].add(location_id)
    if not by_party:
        return {}
    condition = Q()
    for (country_code, party_id), ids in by_party.items():
        condition |= Q(country_code=country_code, party_id=party_id, id_upper__in=sorted(ids))
    queryset = (
        Location.objects.annotate(id_upper=Upper("location_id")).filter(condition).order_by("pk").select_for_update()
    )
    if with_evses:
        queryset = queryset.prefetch_related("evses__connectors")
    found: dict[tuple, Location] = {}
    for row in queryset:
        found.setdefault((row.country_code, row.party_id, row.id_upper), row)
    return found


def _refuse_own(location: Location | None) -> None:
    if location is not None and location.source_partner_id is None:
        # Only reachable if a partner registered a role with our own country_code/party_id.
        raise InvalidInput(f"Location '{location.location_id}' belongs to this platform, not to you", field="id")


def _lock_location(country_code: str, party_id: str, location_id: str, *, with_evses: bool = False) -> Location:
    location = _lock_locations([_key(country_code, party_id, location_id)], with_evses=with_evses).get(
        _key(country_code, party_id, location_id)
    )
    if location is None:
        raise LocationNotFound(f"Location {country_code}/{party_id}/{location_id} is unknown")
    _refuse_own(location)
    return location


def _evse_of(location: Location, evse_uid: str) -> EVSE | None:
    return EVSE.objects.filter(location=location, uid__iexact=evse_uid).prefetch_related("connectors").first()


def _by_id(rows: Iterable, attr: str) -> dict[str, Any]:
    return {getattr(row, attr).upper(): row for row in rows}


# --- writes -----------------------------------------------------------------------------------------------------


def _evse_row(location: Location, data: dict, current: EVSE | None) -> EVSE:
    values = _values(data, _EVSE_FIELDS, partial=False)
    if current is not None:
        values["uid"] = current.uid  # CiString: keep the spelling we hold, it is the unique key
    return EVSE(location=location, **values)


def _connector_row(evse: EVSE, data: dict, current: Connector | None) -> Connector:
    values = _values(data, _CONNECTOR_FIELDS, partial=False)
    if current is not None:
        values["connector_id"] = current.connector_id
    return Connector(evse=evse, **values)


def _write_evses(items: list[tuple[EVSE, dict, EVSE | None]]) -> None:
    """Upsert complete EVSEs (one INSERT ... ON CONFLICT) and replace each one's Connector list."""
    if not items:
        return
    EVSE.objects.bulk_create(
        [row for row, _, _ in items],
        update_conflicts=True,
        unique_fields=["location", "uid"],
        update_fields=_EVSE_UPDATE_FIELDS,
    )
    connectors: list[Connector] = []
    dropped: list[int] = []
    for row, data, current in items:
        held = _by_id(current.connectors.all(), "connector_id") if current is not None else {}
        sent = set()
        for connector in data["connectors"]:
            sent.add(connector["id"].upper())
            connectors.append(_connector_row(row, connector, held.get(connector["id"].upper())))
        dropped.extend(c.pk for key, c in held.items() if key not in sent)
    if dropped:
        Connector.objects.filter(pk__in=dropped).delete()
    _upsert_connectors(connectors)


def _upsert_connectors(rows: list[Connector]) -> None:
    if rows:
        Connector.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["evse", "connector_id"],
            update_fields=_CONNECTOR_UPDATE_FIELDS,
        )


def _write_locations(items: list[tuple[dict, Any, Location | None]], *, partner_id: int) -> None:
    """Create or replace complete Locations with their EVSEs and Connectors: a constant number of queries for any
    number of Locations (upserts by unique key, deletes of what is no longer sent by pk)."""
    now = timezone.now()
    rows = []
    for data, raw, current in items:
        values = _values(data, _LOCATION_FIELDS, partial=False)
        if current is not None:
            values["location_id"] = current.location_id  # CiString: keep the spelling we hold
        rows.append(Location(**values, source_partner_id=partner_id, received_at=now, raw=_as_json(raw)))
    Location.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=_LOCATION_KEY, update_fields=_LOCATION_UPDATE_FIELDS
    )
    evses: list[tuple[EVSE, dict, EVSE | None]] = []
    dropped: list[int] = []
    for row, (data, _, current) in zip(rows, items, strict=True):
        held = _by_id(current.evses.all(), "uid") if current is not None else {}
        sent = set()
        for evse in data.get("evses") or []:
            sent.add(evse["uid"].upper())
            previous = held.get(evse["uid"].upper())
            evses.append((_evse_row(row, evse, previous), evse, previous))
        dropped.extend(e.pk for key, e in held.items() if key not in sent)
    if dropped:
        EVSE.objects.filter(pk__in=dropped).delete()
    _write_evses(evses)


def _touch(obj: Location | EVSE, last_updated: datetime, extra: dict | None = None) -> None:
    """Move a parent's ``last_updated`` forward to a child's (never back) and save it with ``extra`` fields."""
    fields = ["updated_at"]
    if last_updated > obj.last_updated:
        obj.last_updated = last_updated
        fields.append("last_updated")
    for attr, value in (extra or {}).items():
        setattr(obj, attr, value)
        fields.append(attr)
    obj.save(update_fields=fields)


def _touch_location(location: Location, last_updated: datetime, *, partner_id: int) -> None:
    _touch(location, last_updated, {"source_partner_id": partner_id, "received_at": timezone.now()})


# --- PUT --------------------------------------------------------------------------------------------------------


def location_put_from_partner(
    *, partner_id: int, country_code: str, party_id: str, location_id: str, data: dict, raw: Any = None
) -> WriteOutcome:
    """``PUT {locations}/{country_code}/{party_id}/{location_id}``: create or replace a Location with its EVSEs
    and Connectors (mod_locations.asciidoc, Receiver PUT). ``raw`` is the body as sent, kept in ``Location.raw``."""
    _check_location_ids(data, country_code=country_code, party_id=party_id, location_id=location_id)
    key = _key(country_code, party_id, location_id)
    with transaction.atomic():
        current = _lock_locations([key]).get(key)
        _refuse_own(current)
        if current is not None and data["last_updated"] < current.last_updated:
            return WriteOutcome.IGNORED
        _write_locations([(data, raw, current)], partner_id=partner_id)
    return WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED


def evse_put_from_partner(
    *, partner_id: int, country_code: str, party_id: str, location_id: str, evse_uid: str, data: dict
) -> WriteOutcome:
    """``PUT .../{location_id}/{evse_uid}``: create or replace an EVSE and its Connector list; the Location's
    ``last_updated`` follows (mod_locations.asciidoc, Receiver PUT). Unknown Location: ``LocationNotFound``."""
    _check_id(data.get("uid"), evse_uid, field="uid", url_name="evse_uid")
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        current = _evse_of(location, evse_uid)
        if current is not None and data["last_updated"] < current.last_updated:
            return WriteOutcome.IGNORED
        _write_evses([(_evse_row(location, data, current), data, current)])
        _touch_location(location, _latest(data, "connectors"), partner_id=partner_id)
    return WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED


def connector_put_from_partner(
    *,
    partner_id: int,
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    data: dict,
) -> WriteOutcome:
    """``PUT .../{location_id}/{evse_uid}/{connector_id}``: create or replace one Connector; the EVSE's and the
    Location's ``last_updated`` follow (mod_locations.asciidoc, Receiver PUT)."""
    _check_id(data.get("id"), connector_id, field="id", url_name="connector_id")
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        current = _by_id(evse.connectors.all(), "connector_id").get(connector_id.upper())
        if current is not None and data["last_updated"] < current.last_updated:
            return WriteOutcome.IGNORED
        _upsert_connectors([_connector_row(evse, data, current)])
        _touch(evse, data["last_updated"])
        _touch_location(location, data["last_updated"], partner_id=partner_id)
    return WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED


# --- PATCH ------------------------------------------------------------------------------------------------------


def _apply(obj, data: dict, fields: dict, *, keys: tuple[str, ...]) -> list[str]:
    """Set the members a PATCH carries, except the identifying ``keys`` (immutable, and already compared with the
    URL); return the model fields set."""
    values = _values(data, fields, partial=True)
    for attr in keys:
        values.pop(attr, None)
    for attr, value in values.items():
        setattr(obj, attr, value)
    return list(values)


def location_patch_from_partner(
    *, partner_id: int, country_code: str, party_id: str, location_id: str, data: dict
) -> WriteOutcome:
    """``PATCH .../{location_id}``: change the Location members sent; EVSEs sent are upserted as complete objects
    (mod_locations.asciidoc, Receiver PATCH). ``data["last_updated"]`` is required by the serializer."""
    _check_location_ids(data, country_code=country_code, party_id=party_id, location_id=location_id)
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id, with_evses=bool(data.get("evses")))
        if data["last_updated"] < location.last_updated:
            return WriteOutcome.IGNORED
        changed = _apply(location, data, _LOCATION_FIELDS, keys=tuple(_LOCATION_KEY))
        if data.get("evses"):
            held = _by_id(location.evses.all(), "uid")
            evses = []
            for evse in data["evses"]:
                previous = held.get(evse["uid"].upper())
                if previous is None or evse["last_updated"] >= previous.last_updated:
                    evses.append((_evse_row(location, evse, previous), evse, previous))
            _write_evses(evses)
            location.last_updated = max([location.last_updated, *(_latest(e, "connectors") for _, e, _ in evses)])
        location.source_partner_id = partner_id
        location.received_at = timezone.now()
        location.save(update_fields=[*changed, "last_updated", "source_partner", "received_at", "updated_at"])
    return WriteOutcome.UPDATED


def evse_patch_from_partner(
    *, partner_id: int, country_code: str, party_id: str, location_id: str, evse_uid: str, data: dict
) -> WriteOutcome:
    """``PATCH .../{location_id}/{evse_uid}``: change the EVSE members sent (typically ``status``); Connectors sent
    are upserted as complete objects; the Location's ``last_updated`` follows (mod_locations.asciidoc, PATCH)."""
    _check_id(data.get("uid"), evse_uid, field="uid", url_name="evse_uid")
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        if data["last_updated"] < evse.last_updated:
            return WriteOutcome.IGNORED
        changed = _apply(evse, data, _EVSE_FIELDS, keys=("uid",))
        if data.get("connectors"):
            held = _by_id(evse.connectors.all(), "connector_id")
            rows = []
            for connector in data["connectors"]:
                previous = held.get(connector["id"].upper())
                if previous is None or connector["last_updated"] >= previous.last_updated:
                    rows.append(_connector_row(evse, connector, previous))
            _upsert_connectors(rows)
            evse.last_updated = max([evse.last_updated, *(row.last_updated for row in rows)])
        evse.save(update_fields=[*changed, "last_updated", "updated_at"])
        _touch_location(location, evse.last_updated, partner_id=partner_id)
    return WriteOutcome.UPDATED


def connector_patch_from_partner(
    *,
    partner_id: int,
    country_code: str,
    party_id: str,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    data: dict,
) -> WriteOutcome:
    """``PATCH .../{location_id}/{evse_uid}/{connector_id}``: change the Connector members sent (e.g.
    ``tariff_ids``); the EVSE's and Location's ``last_updated`` follow (mod_locations.asciidoc, PATCH)."""
    _check_id(data.get("id"), connector_id, field="id", url_name="connector_id")
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        connector = _by_id(evse.connectors.all(), "connector_id").get(connector_id.upper())
        if connector is None:
            raise ObjectNotFound(f"Connector {connector_id} of EVSE {evse.uid} is unknown")
        if data["last_updated"] < connector.last_updated:
            return WriteOutcome.IGNORED
        changed = _apply(connector, data, _CONNECTOR_FIELDS, keys=("connector_id",))
        connector.save(update_fields=[*changed, "updated_at"])
        _touch(evse, connector.last_updated)
        _touch_location(location, connector.last_updated, partner_id=partner_id)
    return WriteOutcome.UPDATED


# --- pull -------------------------------------------------------------------------------------------------------


def locations_ingest_page(*, partner_id: int, objects: list[dict]) -> dict:
    """Upsert one page of Locations pulled from a partner's Sender interface (mod_locations.asciidoc, GET List).

    Each object is validated on its own: an invalid one is skipped and reported, never failing the page; one whose
    ``country_code``/``party_id`` is none of the partner's roles is rejected; one older than what we hold is
    ignored (so is the older of two copies in one page). The valid rest is written in one transaction with a
    constant number of queries. Returns ``{"accepted": n, "ignored": n, "rejected": [messages]}``.
    """
    parties = {
        (country_code.upper(), party_id.upper())
        for country_code, party_id in PartnerRole.objects.filter(partner_id=partner_id).values_list(
            "country_code", "party_id"
        )
    }
    ignored = 0
    rejected: list[str] = []
    valid: dict[tuple, tuple[dict, Any]] = {}
    serializer = LocationSerializer()  # one instance: its fields are built once, not per object
    for index, obj in enumerate(objects):
        label = f"[{index}] {obj.get('id')!r}" if isinstance(obj, dict) else f"[{index}]"
        try:
            data = serializer.run_validation(obj)
        except drf_serializers.ValidationError as exc:
            rejected.append(f"{label}: {'; '.join(flatten_errors(exc.detail))}")
            continue
        if (data["country_code"], data["party_id"]) not in parties:
            rejected.append(
                f"{label}: country_code/party_id {data['country_code']}/{data['party_id']} is not one of the "
                "partner's roles"
            )
            continue
        key = _key(data["country_code"], data["party_id"], data["id"])
        if key in valid:
            ignored += 1
            if data["last_updated"] < valid[key][0]["last_updated"]:
                continue
        valid[key] = (data, obj)
    with transaction.atomic():
        held = _lock_locations(valid)
        items = []
        for key, (data, raw) in valid.items():
            current = held.get(key)
            if current is not None and current.source_partner_id is None:
                rejected.append(f"{data['id']!r}: belongs to this platform, not to the partner")
            elif current is not None and data["last_updated"] < current.last_updated:
                ignored += 1
            else:
                items.append((data, raw, current))
        if items:
            _write_locations(items, partner_id=partner_id)
    return {"accepted": len(items), "ignored": ignored, "rejected": rejected}
