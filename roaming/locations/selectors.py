"""Reads of Locations, EVSEs and Connectors (mod_locations.asciidoc).

Querysets are sized for ``roaming.locations.ocpi.render``: a Location list prefetches its EVSEs and their
Connectors, so rendering a page of any size costs the page query plus two. Ids are CiStrings (types.asciidoc,
CiString): ``location_id``, ``evse_uid`` and ``connector_id`` are compared case-insensitively; ``country_code`` and
``party_id`` are stored upper-case and looked up upper-cased.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from roaming.core.exceptions import ObjectNotFound
from roaming.locations.models import EVSE, Connector, Location
from roaming.ocpi.kit.selectors import by_party, object_get, pick


def _evses_prefetch() -> Prefetch:
    return Prefetch("evses", queryset=EVSE.objects.prefetch_related("connectors"))


def location_list(
    *, country_code: str | None = None, party_id: str | None = None, own: bool | None = None
) -> QuerySet[Location]:
    """Locations with EVSEs and Connectors prefetched for rendering (Sender GET list, pushes, admin).

    ``own=True``: our CPO's data (no source partner); ``own=False``: what partners sent us; ``None``: both.
    Unordered beyond the model default; the pagination orders by pk.
    """
    return by_party(Location.objects.all(), own=own, country_code=country_code, party_id=party_id).prefetch_related(
        _evses_prefetch()
    )


def location_get(
    *, country_code: str, party_id: str, location_id: str, own: bool | None = None, with_evses: bool = True
) -> Location | None:
    """One Location by its (country_code, party_id, id) key (mod_locations.asciidoc, GET Object), or None.

    ``with_evses=False`` skips the EVSE/Connector prefetch when only the Location row is needed.
    """
    queryset = location_list(country_code=country_code, party_id=party_id, own=own)
    if not with_evses:
        queryset = queryset.prefetch_related(None)
    return object_get(queryset, id_field="location_id", object_id=location_id)


def evse_get(*, location: Location, evse_uid: str) -> EVSE | None:
    """One EVSE of ``location`` by uid, with its Connectors prefetched, or None."""
    rows = list(
        EVSE.objects.filter(location=location, uid__iexact=evse_uid).prefetch_related("connectors").order_by("pk")[:2]
    )
    for row in rows:
        row.location = location  # already loaded: spare a query to anyone following evse.location
    return pick(rows, "uid", evse_uid)


def connector_get(*, evse: EVSE, connector_id: str) -> Connector | None:
    """One Connector of ``evse`` by id, or None."""
    rows = list(Connector.objects.filter(evse=evse, connector_id__iexact=connector_id).order_by("pk")[:2])
    for row in rows:
        row.evse = evse
    return pick(rows, "connector_id", connector_id)


class LocationNotFound(ObjectNotFound):
    """The addressed Location does not exist here (OCPI views answer 404 with status 2003, Unknown Location)."""

    default_message = "Unknown Location."


def location_received(*, country_code: str, party_id: str, location_id: str, with_evses: bool = True):
    """A Location a partner sent us (Receiver GET), or None."""
    return location_get(
        country_code=country_code, party_id=party_id, location_id=location_id, own=False, with_evses=with_evses
    )


def evse_received(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> EVSE | None:
    """An EVSE of a Location a partner sent us, or None; ``LocationNotFound`` if the Location is unknown."""
    location = location_received(
        country_code=country_code, party_id=party_id, location_id=location_id, with_evses=False
    )
    if location is None:
        raise LocationNotFound(f"Location {location_id} is unknown")
    return evse_get(location=location, evse_uid=evse_uid)


def connector_received(
    *, country_code: str, party_id: str, location_id: str, evse_uid: str, connector_id: str
) -> Connector | None:
    """A Connector of a partner's EVSE, or None; ``LocationNotFound`` / ``ObjectNotFound`` for unknown parents."""
    evse = evse_received(country_code=country_code, party_id=party_id, location_id=location_id, evse_uid=evse_uid)
    if evse is None:
        raise ObjectNotFound(f"EVSE {evse_uid} of Location {location_id} is unknown")
    return connector_get(evse=evse, connector_id=connector_id)


def location_time_zone_for_cdr(cdr: Mapping[str, Any]) -> str | None:
    """The time zone of the Location a CDR names (``country_code``/``party_id`` and ``cdr_location.id``), if we
    hold it: tariff restrictions are evaluated in that local time (mod_tariffs.asciidoc)."""
    location = cdr.get("cdr_location") or cdr.get("location") or {}
    location_id = location.get("id") if isinstance(location, Mapping) else None
    if not location_id:
        return None
    rows = Location.objects.filter(location_id__iexact=str(location_id))
    if cdr.get("country_code") and cdr.get("party_id"):
        rows = rows.filter(country_code__iexact=cdr["country_code"], party_id__iexact=cdr["party_id"])
    return rows.values_list("time_zone", flat=True).first()


@cache
def _own_evse_sql(by_uid: bool) -> str:
    q = connection.ops.quote_name
    evse, location = q(EVSE._meta.db_table), q(Location._meta.db_table)
    match = "UPPER(e.uid) = UPPER(%s)" if by_uid else "e.internal_id = %s"
    return (
        f"SELECT e.internal_id, l.location_id, e.uid FROM {evse} e JOIN {location} l ON l.id = e.location_id "  # noqa: S608
        f"WHERE l.source_partner_id IS NULL AND {match} ORDER BY e.id LIMIT 1"
    )


def own_evse_reference(*, charger_id: str = "", evse_uid: str = "") -> tuple[str, str, str] | None:
    """``(internal_id, location_id, evse_uid)`` of our own EVSE the CSMS names by its internal charger id, else by its
    EVSE uid (case-insensitive), or None. It runs on every plug-in (``/api/v1/authorize``): three columns in one
    statement written once, not a wide Location row through a query compiled per call."""
    with connection.cursor() as cursor:
        cursor.execute(_own_evse_sql(not charger_id), [charger_id or evse_uid])
        row = cursor.fetchone()
    return None if row is None else (row[0] or "", row[1], row[2])
