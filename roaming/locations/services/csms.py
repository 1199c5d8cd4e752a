"""Writes of our own chargers that come from the operator's systems: the CSMS calling the internal API, and staff
editing our data in the admin (mod_locations.asciidoc, "Object description" and "Push model").

Every write here follows the spec's rules for data we own: a changed object gets a new ``last_updated`` and so do
its parents (mod_locations.asciidoc, Location.last_updated), nothing changed means nothing bumped and nothing
pushed, and every change is pushed to partners through ``roaming.locations.services.own`` inside the same
transaction. Failures are Django ``ValidationError`` (field -> message) or domain errors; the API and the admin
translate them.

The charger is addressed by ``internal_id`` (its id in the CSMS); ``uid`` (OCPI's technical EVSE id, immutable)
and ``evse_id`` (the public eMI3 id) are kept apart, as the spec does.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from roaming.core.exceptions import ObjectNotFound, StateConflict
from roaming.locations.chargers import charger_fields
from roaming.locations.evse_id import evse_id_key
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import own
from roaming.locations.services.imports import FALLBACK_TIME_ZONE, default_time_zone, diff_values, evse_uid_derive

# The fields each write takes, from the one charger field table (keys and the immutable uid are handled apart).
LOCATION_FIELDS = charger_fields("location")
EVSE_FIELDS = charger_fields("evse")
CONNECTOR_FIELDS = charger_fields("connector")


def own_locations() -> models.QuerySet[Location]:
    """Our CPO's locations (no source partner, our country_code/party_id)."""
    country_code, party_id = own.own_party()
    return Location.objects.filter(source_partner__isnull=True, country_code=country_code, party_id=party_id)


def own_evses() -> models.QuerySet[EVSE]:
    return EVSE.objects.filter(location__in=own_locations())


def charger_get(*, internal_id: str) -> EVSE:
    """One of our EVSEs by its CSMS id, with location and connectors loaded; ``ObjectNotFound`` otherwise."""
    evse = own_evses().select_related("location").prefetch_related("connectors").filter(internal_id=internal_id).first()
    if evse is None:
        raise ObjectNotFound(f"No charger with internal_id '{internal_id}'.")
    return evse


# --- CSMS API ---------------------------------------------------------------------------------------------------


def location_upsert_from_csms(*, location_id: str, data: dict) -> tuple[Location, bool]:
    """Create or update one of our locations' own fields (not its EVSEs) and push it when anything changed.

    ``data``: validated Location fields (model names; ``country`` alpha-3). Fields missing from ``data`` keep their
    value; a new location without ``time_zone`` gets its country's zone. Returns ``(location, created)``.
    """
    with transaction.atomic():
        location, created, changed = _location_write(location_id=location_id, data=data)
        if created or changed:
            own.location_push_own(location)
    return location, created


def charger_upsert_from_csms(*, internal_id: str, data: dict) -> tuple[EVSE, bool]:
    """Create or update the EVSE the CSMS knows as ``internal_id``, with its connectors, at location
    ``data["location_id"]`` (created from ``data["location"]`` when it does not exist yet), then push the
    location once if anything changed. A PUT is a full replacement: connectors not listed are deleted.

    Refused (``ValidationError``): an EVSE ID mapped to another charger, moving the EVSE to another location,
    changing its uid, a uid already used at the location, an unknown location without ``location`` data.
    Returns ``(evse, created)``.
    """
    try:
        return _charger_upsert(internal_id=internal_id, data=data)
    except IntegrityError:
        # Two requests created the same charger (or uid) at once: the loser is told to retry.
        raise StateConflict(f"Charger '{internal_id}' was changed by a concurrent request; send it again.")


def _charger_upsert(*, internal_id: str, data: dict) -> tuple[EVSE, bool]:
    location_id = data["location_id"]
    evse_id = data["evse_id"]
    with transaction.atomic():
        location = own_locations().filter(location_id__iexact=location_id).first()
        location_data = data.get("location")
        if location is None and not location_data:
            raise ValidationError(
                {"location": f"location '{location_id}' does not exist; send its fields in 'location' to create it"}
            )
        location_changed = False
        if location_data:
            location, location_created, location_changed = _location_write(location_id=location_id, data=location_data)
            location_changed = location_changed or location_created

        # Lock the charger's row so two concurrent PUTs for one charger apply one after the other.
        evse = EVSE.objects.select_for_update().select_related("location").filter(internal_id=internal_id).first()
        if evse is not None and evse.location.source_partner_id is not None:
            raise ValidationError({"internal_id": "this id is mapped to an EVSE of a partner"})
        key = evse_id_key(evse_id)
        same_id = list(
            own_evses()
            .select_related("location")
            .annotate(key=Replace(Upper("evse_id"), models.Value("*"), models.Value("")))
            .filter(key=key)
            .exclude(pk=evse.pk if evse else None)
        )
        mapped = [e for e in same_id if e.internal_id]
        if mapped:
            raise ValidationError(
                {"evse_id": f"'{evse_id}' is already mapped to internal_id '{mapped[0].internal_id}'"}
            )
        if evse is None and same_id:
            evse = same_id[0]  # an EVSE staff created by hand: map it instead of creating a twin

        now = own.now_second()
        created = evse is None
        values = {name: data[name] for name in EVSE_FIELDS if name in data}
        values["internal_id"] = internal_id
        if created:
            uid = data.get("uid") or evse_uid_derive(evse_id)
            if EVSE.objects.filter(location=location, uid__iexact=uid).exists():
                raise ValidationError({"uid": f"'{uid}' is already the uid of another EVSE at this location"})
            evse = EVSE.objects.create(location=location, uid=uid, last_updated=now, **values)
            evse_changed = True
        else:
            if evse.location_id != location.pk:
                raise ValidationError(
                    {
                        "location_id": f"this charger is at location '{evse.location.location_id}'; EVSEs do not "
                        "move between locations (set it REMOVED and create a new one)"
                    }
                )
            if data.get("uid") and data["uid"].upper() != evse.uid.upper():
                raise ValidationError({"uid": f"this EVSE's uid is '{evse.uid}' and a uid never changes"})
            changes = diff_values(evse, values)
            for name, value in changes.items():
                setattr(evse, name, value)
            evse_changed = bool(changes)

        connectors_changed = _connectors_replace(evse=evse, items=data.get("connectors", []), now=now)
        if evse_changed or connectors_changed:
            if not created:
                evse.last_updated = now
                evse.save()
            location_changed = True
        if location_changed:
            _touch(location, now)
            own.location_push_own(location)
    return evse, created


def charger_status_set_from_csms(*, internal_id: str, status: str, at: datetime | None = None) -> EVSE:
    """A status notification from the CSMS (mod_locations.asciidoc, EVSE.status; pushed as a PATCH).

    ``at`` in the future (a CSMS clock running ahead) is clamped to now: a future last_updated would hide later
    changes from partners' ``date_from`` pulls. Unknown ``internal_id``: ``ObjectNotFound``.
    """
    evse = charger_get(internal_id=internal_id)
    if at is not None:
        at = min(at, timezone.now())
    return own.evse_status_set_own(evse=evse, status=status, at=at)


# --- Staff edits in the admin -----------------------------------------------------------------------------------


def location_save_own(*, location: Location, changed_fields: Iterable[str], created: bool = False) -> Location:
    """Save a location staff edited (the admin form already set its fields) and push it when anything changed."""
    changed = set(changed_fields)
    if not created and not changed:
        return location
    with transaction.atomic():
        if created:
            location.country_code, location.party_id = own.own_party()
            if not location.time_zone:
                location.time_zone = default_time_zone(location.country) or FALLBACK_TIME_ZONE
        location.last_updated = own.now_second()
        location.save()
        own.location_push_own(location)
    return location


def evse_save_own(*, evse: EVSE, changed_fields: Iterable[str], created: bool = False) -> EVSE:
    """Save an EVSE staff edited (typically its internal_id <-> evse_id mapping) and tell partners: a status-only
    change goes out as a PATCH (``evse_status_set_own``), anything else as a PUT of the location."""
    changed = set(changed_fields)
    if not created and not changed:
        return evse
    with transaction.atomic():
        if created and not evse.uid:
            evse.uid = evse_uid_derive(evse.evse_id)
        if not created and changed == {"status"}:
            # evse_status_set_own re-reads the stored row, compares and PATCHes only the status.
            return own.evse_status_set_own(evse=evse, status=evse.status)
        now = own.now_second()
        evse.last_updated = now
        evse.save()
        _touch(evse.location, now)
        own.location_push_own(evse.location)
    return evse


def connector_save_own(*, connector: Connector, changed_fields: Iterable[str], created: bool = False) -> Connector:
    """Save a connector staff edited, bump its EVSE and location, push the location."""
    if not created and not set(changed_fields):
        return connector
    with transaction.atomic():
        now = own.now_second()
        connector.last_updated = now
        connector.save()
        evse = connector.evse
        _touch(evse, now)
        _touch(evse.location, now)
        own.location_push_own(evse.location)
    return connector


# --- Helpers ----------------------------------------------------------------------------------------------------


def _touch(obj: Location | EVSE, now: datetime) -> None:
    """Bump a parent's last_updated (mod_locations.asciidoc: a child's change is the parent's change)."""
    obj.last_updated = now
    type(obj).objects.filter(pk=obj.pk).update(last_updated=now, updated_at=timezone.now())


def _location_write(*, location_id: str, data: dict) -> tuple[Location, bool, bool]:
    """Create or update a location's own fields without pushing; ``(location, created, changed)``."""
    values = {name: data[name] for name in LOCATION_FIELDS if name in data}
    location = own_locations().select_for_update().filter(location_id__iexact=location_id).first()
    if location is None:
        missing = [name for name in ("address", "city", "country", "latitude", "longitude") if not values.get(name)]
        if missing:
            raise ValidationError(dict.fromkeys(missing, "this field is required to create a location"))
        if not values.get("time_zone"):
            values["time_zone"] = default_time_zone(values["country"]) or FALLBACK_TIME_ZONE
        country_code, party_id = own.own_party()
        location = Location.objects.create(
            country_code=country_code,
            party_id=party_id,
            location_id=location_id,
            last_updated=own.now_second(),
            **values,
        )
        return location, True, False
    changes = diff_values(location, values)
    if changes:
        for name, value in changes.items():
            setattr(location, name, value)
        location.last_updated = own.now_second()
        location.save()
    return location, False, bool(changes)


def _connectors_replace(*, evse: EVSE, items: list[dict], now: datetime) -> bool:
    """Make the EVSE's connectors exactly ``items`` (PUT semantics); True when anything changed."""
    existing = {c.connector_id.upper(): c for c in Connector.objects.filter(evse=evse)}
    changed = False
    keep: set[int] = set()
    for item in items:
        connector_id = item["connector_id"]
        values = {name: item[name] for name in CONNECTOR_FIELDS if name in item}
        connector = existing.get(connector_id.upper())
        if connector is None:
            connector = Connector.objects.create(evse=evse, connector_id=connector_id, last_updated=now, **values)
            changed = True
        else:
            changes = diff_values(connector, values)
            if changes:
                for name, value in changes.items():
                    setattr(connector, name, value)
                connector.last_updated = now
                connector.save()
                changed = True
        keep.add(connector.pk)
    stale = [c.pk for c in existing.values() if c.pk not in keep]
    if stale:
        Connector.objects.filter(pk__in=stale).delete()
        changed = True
    return changed
