"""eMSP side of the locations module: writes of what a CPO partner pushes to our Receiver interface or what we pull
from its Sender interface (OCPI 2.2.1 mod_locations.asciidoc, "Receiver Interface" PUT and PATCH, "GET List";
transport_and_format.asciidoc, "Client Owned Object Push").

Rules applied here, for every entry point:

* the protocol rules shared by every module (party by role, URL/body id agreement, row lock, stale check, our own
  objects refused, raw payload kept, one outcome type) are the kit's (``roaming.ocpi.kit``); ``data`` is the
  output of ``roaming.locations.ocpi.serializers`` (validated, normalised);
* PUT creates or replaces: fields left out revert to empty, a Location PUT replaces its EVSE list, an EVSE PUT its
  Connector list. EVSEs no longer sent are never deleted but set to status REMOVED (mod_locations.asciidoc, EVSE
  object: "an EVSE ... shall never be deleted"; sessions and CDRs refer to them); Connectors no longer sent are
  deleted (the Connector object has no status to carry REMOVED);
* PATCH changes only what it carries; nested objects in a PATCH (``evses`` of a Location, ``connectors`` of an EVSE)
  are complete objects and are upserted by id, others stay as they are;
* an update whose ``last_updated`` is older than what we hold is acknowledged and ignored (``STALE``); an equal
  one is applied;
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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from roaming.core.exceptions import ObjectNotFound
from roaming.locations.choices import Status
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.selectors import LocationNotFound
from roaming.locations.services.mapping import (
    CONNECTOR_FIELDS,
    CONNECTOR_UPDATE_FIELDS,
    EVSE_FIELDS,
    EVSE_UPDATE_FIELDS,
    LOCATION_FIELDS,
    LOCATION_KEY,
    LOCATION_UPDATE_FIELDS,
    model_values,
)
from roaming.ocpi.kit.receive import (
    Key,
    WriteOutcome,
    is_stale,
    lock_objects,
    object_key,
    refuse_own,
    storable,
    upsert_rows,
)


def _latest(data: dict, children: str | None = None) -> datetime:
    """``last_updated`` of an object, or of its newest nested child when that is later."""
    stamps = [data["last_updated"]]
    if children:
        stamps.extend(child["last_updated"] for child in data.get(children) or [])
    return max(stamps)


# --- locking reads ----------------------------------------------------------------------------------------------


#: what a write reads of a locked Location; the rest (its JSON columns, the raw payload) would only be parsed for
#: nothing: a page of 1,000 held Locations spent more time decoding them than validating the page
_LOCKED_FIELDS = ("pk", "country_code", "party_id", "location_id", "last_updated", "source_partner_id")


def lock_locations(keys: Iterable[Key]) -> dict[Key, Location]:
    """Lock and return the stored Locations of ``keys`` (the kit's upper-cased keys), with the fields a write reads
    (other fields load on access). Their EVSEs and Connectors are read by ``_held_evses`` once the Locations are
    locked (children are written under their Location's lock)."""
    return lock_objects(Location.objects.only(*_LOCKED_FIELDS), keys, id_field="location_id")


def _lock_location(country_code: str, party_id: str, location_id: str) -> Location:
    key = object_key(country_code, party_id, location_id)
    location = lock_locations([key]).get(key)
    if location is None:
        raise LocationNotFound(f"Location {country_code}/{party_id}/{location_id} is unknown")
    refuse_own(location, what="Location")
    return location


def _evse_of(location: Location, evse_uid: str) -> EVSE | None:
    return EVSE.objects.filter(location=location, uid__iexact=evse_uid).prefetch_related("connectors").first()


@dataclass
class HeldEvse:
    """What a replace needs of an EVSE we hold: its key spelling, state and Connectors (upper-cased id ->
    (pk, id as held)). Read as plain rows, since a pull page holds thousands of EVSEs."""

    pk: int
    uid: str
    status: str
    last_updated: datetime
    connectors: dict[str, tuple[int, str]] = field(default_factory=dict)


def _held_evses(location_pks: Iterable[int]) -> dict[int, dict[str, HeldEvse]]:
    """The EVSEs (by upper-cased uid) with their Connectors of each Location in ``location_pks``: two queries."""
    location_pks = list(location_pks)
    found: dict[int, dict[str, HeldEvse]] = {pk: {} for pk in location_pks}
    if not location_pks:
        return found
    by_pk: dict[int, HeldEvse] = {}
    rows = EVSE.objects.filter(location_id__in=location_pks).values_list(
        "pk", "location_id", "uid", "status", "last_updated"
    )
    for pk, location_pk, uid, status, last_updated in rows:
        by_pk[pk] = found[location_pk][uid.upper()] = HeldEvse(pk, uid, status, last_updated)
    connectors = Connector.objects.filter(evse__location_id__in=location_pks).values_list(
        "pk", "evse_id", "connector_id"
    )
    for pk, evse_pk, connector_id in connectors:
        by_pk[evse_pk].connectors[connector_id.upper()] = (pk, connector_id)
    return found


def _by_id(rows: Iterable, attr: str) -> dict[str, Any]:
    return {getattr(row, attr).upper(): row for row in rows}


# --- writes -----------------------------------------------------------------------------------------------------


def _evse_row(location_pk: int, data: dict, current: HeldEvse | None) -> dict:
    """An EVSE's column values (``upsert_rows``) for a complete EVSE object."""
    values = model_values(data, EVSE_FIELDS, partial=False)
    if current is not None:
        values["uid"] = current.uid  # CiString: keep the spelling we hold, it is the unique key
    values["location_id"] = location_pk
    values["received"] = True
    return values


def _connector_row(evse_pk: int, data: dict, held_id: str | None) -> dict:
    """A Connector's column values; ``held_id`` is the id as we hold it (CiString: the spelling kept)."""
    values = model_values(data, CONNECTOR_FIELDS, partial=False)
    if held_id is not None:
        values["connector_id"] = held_id
    values["evse_id"] = evse_pk
    return values


def _write_evses(items: list[tuple[dict, dict, HeldEvse | None]]) -> None:
    """Upsert complete EVSEs (one INSERT ... ON CONFLICT) and replace each one's Connector list. ``items`` are
    (column values, validated data, the EVSE we hold or None)."""
    if not items:
        return
    pks = upsert_rows(
        EVSE, [row for row, _, _ in items], unique_fields=["location", "uid"], update_fields=EVSE_UPDATE_FIELDS
    )
    connectors: list[dict] = []
    dropped: list[int] = []
    for pk, (_, data, current) in zip(pks, items, strict=True):
        held = current.connectors if current is not None else {}
        sent = set()
        for connector in data["connectors"]:
            key = connector["id"].upper()
            sent.add(key)
            connectors.append(_connector_row(pk, connector, held[key][1] if key in held else None))
        dropped.extend(connector_pk for key, (connector_pk, _) in held.items() if key not in sent)
    if dropped:
        Connector.objects.filter(pk__in=dropped).delete()
    _upsert_connectors(connectors)


def _upsert_connectors(rows: list[dict]) -> None:
    if rows:
        upsert_rows(Connector, rows, unique_fields=["evse", "connector_id"], update_fields=CONNECTOR_UPDATE_FIELDS)


def write_locations(items: list[tuple[dict, Any, Location | None]], *, partner_id: int) -> None:
    """Create or replace complete Locations with their EVSEs and Connectors: a constant number of queries for any
    number of Locations (upserts by unique key, removals by pk). ``items`` are (validated data, ``storable`` raw
    payload, the locked Location or None)."""
    now = timezone.now()
    rows = []
    for data, raw, current in items:
        values = model_values(data, LOCATION_FIELDS, partial=False)
        if current is not None:
            values["location_id"] = current.location_id  # CiString: keep the spelling we hold
        values.update(source_partner_id=partner_id, received_at=now, raw=raw)
        rows.append(values)
    pks = upsert_rows(Location, rows, unique_fields=LOCATION_KEY, update_fields=LOCATION_UPDATE_FIELDS)
    held_by_location = _held_evses(current.pk for _, _, current in items if current is not None)
    evses: list[tuple[dict, dict, HeldEvse | None]] = []
    removed: list[int] = []
    for pk, (data, _, current) in zip(pks, items, strict=True):
        held = held_by_location[current.pk] if current is not None else {}
        sent = set()
        for evse in data.get("evses") or []:
            sent.add(evse["uid"].upper())
            previous = held.get(evse["uid"].upper())
            evses.append((_evse_row(pk, evse, previous), evse, previous))
        removed.extend(e.pk for key, e in held.items() if key not in sent and e.status != Status.REMOVED)
    if removed:
        # Never deleted (mod_locations.asciidoc, EVSE object): sessions and CDRs refer to them. The Location's
        # last_updated (just written) dates the removal.
        parent_stamp = Location.objects.filter(pk=OuterRef("location_id")).values("last_updated")[:1]
        EVSE.objects.filter(pk__in=removed).update(
            status=Status.REMOVED, last_updated=Subquery(parent_stamp), updated_at=now
        )
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
    key = object_key(country_code, party_id, location_id)
    with transaction.atomic():
        current = lock_locations([key]).get(key)
        refuse_own(current, what="Location")
        if is_stale(current, data):
            return WriteOutcome.STALE
        write_locations([(data, storable(raw), current)], partner_id=partner_id)
    return WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED


def evse_put_from_partner(
    *, partner_id: int, country_code: str, party_id: str, location_id: str, evse_uid: str, data: dict
) -> WriteOutcome:
    """``PUT .../{location_id}/{evse_uid}``: create or replace an EVSE and its Connector list; the Location's
    ``last_updated`` follows (mod_locations.asciidoc, Receiver PUT). Unknown Location: ``LocationNotFound``."""
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        current = _held_evses([location.pk])[location.pk].get(evse_uid.upper())
        if is_stale(current, data):
            return WriteOutcome.STALE
        _write_evses([(_evse_row(location.pk, data, current), data, current)])
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
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        current = _by_id(evse.connectors.all(), "connector_id").get(connector_id.upper())
        if is_stale(current, data):
            return WriteOutcome.STALE
        _upsert_connectors([_connector_row(evse.pk, data, current and current.connector_id)])
        _touch(evse, data["last_updated"])
        _touch_location(location, data["last_updated"], partner_id=partner_id)
    return WriteOutcome.CREATED if current is None else WriteOutcome.UPDATED


# --- PATCH ------------------------------------------------------------------------------------------------------


def _apply(obj, data: dict, fields: dict, *, keys: tuple[str, ...]) -> list[str]:
    """Set the members a PATCH carries, except the identifying ``keys`` (immutable, and already compared with the
    URL); return the model fields set."""
    values = model_values(data, fields, partial=True)
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
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        if is_stale(location, data):
            return WriteOutcome.STALE
        changed = _apply(location, data, LOCATION_FIELDS, keys=tuple(LOCATION_KEY))
        if data.get("evses"):
            held = _held_evses([location.pk])[location.pk]
            evses = []
            for evse in data["evses"]:
                previous = held.get(evse["uid"].upper())
                if previous is None or evse["last_updated"] >= previous.last_updated:
                    evses.append((_evse_row(location.pk, evse, previous), evse, previous))
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
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        if is_stale(evse, data):
            return WriteOutcome.STALE
        changed = _apply(evse, data, EVSE_FIELDS, keys=("uid",))
        if data.get("connectors"):
            held = _by_id(evse.connectors.all(), "connector_id")
            rows = []
            for connector in data["connectors"]:
                previous = held.get(connector["id"].upper())
                if previous is None or connector["last_updated"] >= previous.last_updated:
                    rows.append(_connector_row(evse.pk, connector, previous and previous.connector_id))
            _upsert_connectors(rows)
            evse.last_updated = max([evse.last_updated, *(row["last_updated"] for row in rows)])
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
    with transaction.atomic():
        location = _lock_location(country_code, party_id, location_id)
        evse = _evse_of(location, evse_uid)
        if evse is None:
            raise ObjectNotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        connector = _by_id(evse.connectors.all(), "connector_id").get(connector_id.upper())
        if connector is None:
            raise ObjectNotFound(f"Connector {connector_id} of EVSE {evse.uid} is unknown")
        if is_stale(connector, data):
            return WriteOutcome.STALE
        changed = _apply(connector, data, CONNECTOR_FIELDS, keys=("connector_id",))
        connector.save(update_fields=[*changed, "updated_at"])
        _touch(evse, connector.last_updated)
        _touch_location(location, connector.last_updated, partner_id=partner_id)
    return WriteOutcome.UPDATED
