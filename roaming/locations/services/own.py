"""Writes to our own (CPO) location data that partners must hear about (mod_locations.asciidoc, "Push model").

Every change bumps ``last_updated`` on the changed object and its parents (the spec: a Location's last_updated
advances when any of its EVSEs or Connectors changes, or ``date_from`` pulls miss it) and writes the push into the
outbox in the same transaction. All pushes about one location share one ordering key, so an EVSE PATCH never
overtakes the location PUT before it.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from roaming.locations.choices import Status
from roaming.locations.models import EVSE, Location
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.push import PushItem, push_enqueue, push_enqueue_many

MODULE = "locations"


def own_party() -> tuple[str, str]:
    return settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID


def now_second() -> datetime:
    """OCPI timestamps travel with second precision: store them so, or a re-read compares as a change."""
    return timezone.now().replace(microsecond=0)


def location_object_key(location) -> str:
    """The outbox ordering key (and receiver path) of a location: ``{country_code}/{party_id}/{id}``."""
    return f"{location.country_code}/{location.party_id}/{location.location_id}"


def location_push_own(location: Location) -> int:
    """PUT the whole location (EVSEs and connectors included) to every partner with a locations RECEIVER.

    Call inside the transaction that changed it. Returns the number of outbox messages written.
    """
    return locations_push_own([location.pk])


def locations_push_own(location_ids, *, chunk: int = 500, partner_ids: list[int] | None = None) -> int:
    """PUT many of our locations at once (imports, bulk tariff assignment): rendered in chunks with one prefetch
    per chunk, written to the outbox in bulk. ``partner_ids`` narrows the fan-out (a reconciliation re-pushes to
    the one partner missing them). Returns the number of outbox messages written."""
    from roaming.locations.ocpi.render import location_to_ocpi

    ids = sorted({getattr(pk, "pk", pk) for pk in location_ids})
    written = 0
    for start in range(0, len(ids), chunk):
        own = Location.objects.filter(pk__in=ids[start : start + chunk], source_partner__isnull=True)
        rows = own.prefetch_related("evses__connectors")
        items = [
            PushItem(location_object_key(row), "PUT", location_object_key(row), location_to_ocpi(row)) for row in rows
        ]
        written += push_enqueue_many(module=MODULE, items=items, partner_ids=partner_ids)
    return written


def evse_status_set_own(*, evse: EVSE, status: str, at: datetime | None = None) -> EVSE:
    """Record a status change of one of our EVSEs (reported by the CSMS) and PATCH it to partners.

    An unchanged status writes and pushes nothing. ``at`` is when the change happened (default: now); a report
    older than the EVSE's last_updated is ignored, so late CSMS messages cannot roll the status back.
    """
    if status not in Status.values:
        raise ValidationError({"status": f"'{status}' is not one of {', '.join(Status.values)}"})
    when = (at or now_second()).replace(microsecond=0)
    with transaction.atomic():
        locked = EVSE.objects.select_for_update().select_related("location").get(pk=evse.pk)
        if locked.location.source_partner_id is not None:
            raise ValidationError({"evse": "this EVSE belongs to a partner; only our own EVSEs take status reports"})
        if locked.status == status or when < locked.last_updated:
            return locked
        locked.status = status
        locked.last_updated = when
        locked.save(update_fields=["status", "last_updated", "updated_at"])
        location = locked.location
        if when > location.last_updated:
            Location.objects.filter(pk=location.pk).update(last_updated=when, updated_at=timezone.now())
        push_enqueue(
            module=MODULE,
            object_key=location_object_key(location),
            method="PATCH",
            path=f"{location_object_key(location)}/{locked.uid}",
            body={"status": status, "last_updated": format_datetime(when)},
        )
    return locked
