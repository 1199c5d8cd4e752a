"""Full-pull removal of a CPO partner's Locations (``roaming.ocpi.pull``, ``PullHandler.remove_missing``).

A Location is never deleted (mod_locations.asciidoc: "a Location ... cannot be deleted"; an EVSE that is gone gets
status REMOVED): when a complete full pull of the partner's Sender no longer returns a Location we hold, its EVSEs
are set to REMOVED, as if the CPO had sent that Location without them. The partner's own ``last_updated`` is left
as it sent it, so the Location comes back as the partner describes it if a later pull returns it again.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from roaming.locations.choices import Status
from roaming.locations.models import EVSE, Location
from roaming.ocpi.kit.receive import object_key


def locations_remove_missing(*, partner_id: int, seen: set, before: datetime) -> list[str]:
    """Set to REMOVED the EVSEs of the partner's Locations not in ``seen`` (upper-cased (country_code, party_id, id)
    keys of the complete pull) and received before ``before``; a Location whose EVSEs are all REMOVED already is
    left alone (it was removed before). Returns the ``country_code/party_id/id`` of each Location removed."""
    with transaction.atomic():
        # One query for the candidates (those with an EVSE not yet REMOVED), one update for their EVSEs.
        candidates = (
            Location.objects.filter(source_partner_id=partner_id, received_at__lt=before)
            .filter(pk__in=EVSE.objects.exclude(status=Status.REMOVED).values("location_id"))
            .only("pk", "country_code", "party_id", "location_id")
            .order_by("pk")
        )
        gone = [loc for loc in candidates if object_key(loc.country_code, loc.party_id, loc.location_id) not in seen]
        if gone:
            EVSE.objects.filter(location_id__in=[loc.pk for loc in gone]).exclude(status=Status.REMOVED).update(
                status=Status.REMOVED, updated_at=timezone.now()
            )
    return [loc.object_key for loc in gone]
