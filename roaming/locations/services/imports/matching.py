"""Matching rows to what the database holds: our locations, EVSEs by internal_id and by EVSE ID, uids and
connectors, loaded in batches; and the EVSE a group of rows describes (or why the database refuses it)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import models
from django.db.models.functions import Replace, Upper

from roaming.locations.evse_id import (
    evse_id_key,
)
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import own
from roaming.locations.services.imports.rows import _Row
from roaming.locations.services.imports.values import evse_uid_derive

_BATCH = 1000


def _chunks(values: Iterable, size: int = _BATCH) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _own_locations() -> models.QuerySet:
    country_code, party_id = own.own_party()
    return Location.objects.filter(source_partner__isnull=True, country_code=country_code, party_id=party_id)


@dataclass
class _Existing:
    locations: dict[str, Location]  # location key -> own location
    by_internal: dict[str, EVSE]
    by_key: dict[str, list[EVSE]]  # own EVSEs by evse_id key
    uids: dict[tuple[int, str], EVSE]  # (location pk, uid upper) -> EVSE at the file's existing locations
    connectors: dict[tuple[int, str], Connector]  # (evse pk, connector id upper) -> connector


def _load_existing(rows: list[_Row]) -> _Existing:
    location_keys = {r.location_key for r in rows if r.location_key}
    internal_ids = {r.internal_id for r in rows if r.internal_id}
    evse_keys = {r.evse_key for r in rows if r.evse_key}

    locations: dict[str, Location] = {}
    for chunk in _chunks(location_keys):
        for location in _own_locations().annotate(key=Upper("location_id")).filter(key__in=chunk):
            locations[location.key] = location
    by_internal: dict[str, EVSE] = {}
    for chunk in _chunks(internal_ids):
        for evse in EVSE.objects.select_related("location").filter(internal_id__in=chunk):
            by_internal[evse.internal_id] = evse
    by_key: dict[str, list[EVSE]] = defaultdict(list)
    own_evses = EVSE.objects.select_related("location").filter(location__in=_own_locations())
    evse_key_expr = Replace(Upper("evse_id"), models.Value("*"), models.Value(""))
    for chunk in _chunks(evse_keys):
        for evse in own_evses.annotate(key=evse_key_expr).filter(key__in=chunk):
            by_key[evse.key].append(evse)
    uids: dict[tuple[int, str], EVSE] = {}
    for chunk in _chunks([loc.pk for loc in locations.values()]):
        for evse in EVSE.objects.filter(location_id__in=chunk).only("pk", "location_id", "uid", "internal_id"):
            uids[(evse.location_id, evse.uid.upper())] = evse
    evse_pks = {e.pk for e in by_internal.values()} | {e.pk for evses in by_key.values() for e in evses}
    connectors: dict[tuple[int, str], Connector] = {}
    for chunk in _chunks(evse_pks):
        for connector in Connector.objects.filter(evse_id__in=chunk):
            connectors[(connector.evse_id, connector.connector_id.upper())] = connector
    return _Existing(locations, by_internal, dict(by_key), uids, connectors)


def _match_evse(group: list[_Row], existing: _Existing) -> EVSE | None:
    """Find the EVSE these rows describe (by internal_id, else an unmapped own EVSE with this EVSE ID) or record
    why the database refuses them. Returns ``None`` for a new EVSE."""
    first = group[0]
    iid, key = first.internal_id, first.evse_key
    evse_id = first.evse["evse_id"]
    country_code, party_id = own.own_party()

    by_internal = existing.by_internal.get(iid)
    if by_internal is not None:
        location = by_internal.location
        if location.source_partner_id is not None or (location.country_code, location.party_id) != (
            country_code,
            party_id,
        ):
            first.fail("internal_id", f"'{iid}' is mapped to an EVSE of another party ({location})")
            return None
    same_key = existing.by_key.get(key, [])
    others = [e for e in same_key if e.internal_id and e.internal_id != iid]
    if others:
        other = others[0]
        first.fail(
            "evse_id",
            f"'{evse_id}' is already mapped to internal_id '{other.internal_id}' "
            f"(EVSE uid '{other.uid}' at location '{other.location.location_id}')",
        )
        return None
    if by_internal is not None and by_internal.evse_id and evse_id_key(by_internal.evse_id) != key:
        first.fail(
            "internal_id",
            f"'{iid}' is already mapped to evse_id '{by_internal.evse_id}'; change the mapping in the admin first",
        )
        return None
    target = by_internal
    if target is None:
        unmapped = [e for e in same_key if not e.internal_id]
        if len(unmapped) > 1:
            first.fail("evse_id", f"'{evse_id}' is used by {len(unmapped)} of our EVSEs; fix that in the admin first")
            return None
        # An EVSE staff created by hand (no internal_id yet) gets mapped, not duplicated.
        target = unmapped[0] if unmapped else None

    if target is not None:
        if target.location.location_id.upper() != first.location_key:
            first.fail(
                "location_id",
                f"'{first.location['location_id']}': this EVSE is at location '{target.location.location_id}'; "
                "the import does not move EVSEs between locations",
            )
            return None
        uid = first.evse.get("uid")
        if uid and uid.upper() != target.uid.upper():
            first.fail("evse_uid", f"'{uid}': this EVSE's uid is '{target.uid}' and a uid never changes")
            return None
        return target

    location = existing.locations.get(first.location_key)
    uid = first.evse.get("uid") or evse_uid_derive(evse_id)
    taken = existing.uids.get((location.pk, uid.upper())) if location else None
    if taken is not None:
        first.fail("evse_uid", f"'{uid}' is already the uid of another EVSE at location '{location.location_id}'")
    return None
