"""Our tariffs on our connectors: ``Connector.tariff_ids`` (mod_locations.asciidoc, Connector object).

The locations module owns its rows, so it owns this write: the tariffs module (admin page, tariff retirement) calls
it. It bumps ``last_updated`` on every changed connector, its EVSE and its location (a Location's last_updated
advances whenever a child changes, or ``date_from`` pulls miss the change) and pushes each changed location once.

The rule "at most one tariff per ``Tariff.type`` active at any time" needs the tariffs themselves, which this module
does not read: the caller passes it as ``conflicts`` (see ``roaming.tariffs.selectors.tariff_assignment_conflicts``).
"""

import logging
from collections.abc import Callable
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services.own import locations_push_own, now_second

logger = logging.getLogger(__name__)


class AssignableTariff(Protocol):
    """What assignment needs of a tariff: its id (a CiString) and whether it is ours."""

    tariff_id: str
    is_own: bool


Conflicts = Callable[[AssignableTariff, list[Connector]], list[str]]


def _connector_filter(connectors) -> dict:
    if isinstance(connectors, QuerySet):
        return {"pk__in": connectors.values("pk")}
    return {"pk__in": [c.pk if isinstance(c, Connector) else int(c) for c in connectors]}


def _has(ids: list, tariff_id: str) -> bool:
    wanted = tariff_id.upper()
    return any(str(i).upper() == wanted for i in ids)


def _change_connectors(
    *, tariff: AssignableTariff, connectors, change: Callable[[list], list | None], conflicts: Conflicts | None
) -> int:
    if not tariff.is_own:
        raise ValidationError("only our own tariffs can be assigned to our connectors")
    with transaction.atomic():
        rows = list(
            Connector.objects.select_for_update(of=("self",))
            .filter(**_connector_filter(connectors))
            .select_related("evse__location")
            .order_by("pk")
        )
        foreign = sum(1 for row in rows if row.evse.location.source_partner_id is not None)
        if foreign:
            raise ValidationError(f"{foreign} connector(s) belong to a partner's location; only ours can be changed")
        updates: list[tuple[Connector, list]] = []
        for row in rows:
            new_ids = change(list(row.tariff_ids or []))
            if new_ids is not None:
                updates.append((row, new_ids))
        if conflicts is not None and (problems := conflicts(tariff, [row for row, _ in updates])):
            raise ValidationError(problems)
        if not updates:
            return 0
        now, clock = now_second(), timezone.now()
        changed: list[Connector] = []
        for row, new_ids in updates:
            row.tariff_ids = new_ids
            row.last_updated = now
            row.updated_at = clock
            changed.append(row)
        Connector.objects.bulk_update(changed, ["tariff_ids", "last_updated", "updated_at"], batch_size=1000)
        evse_ids = {row.evse_id for row in changed}
        location_ids = {row.evse.location_id for row in changed}
        EVSE.objects.filter(pk__in=evse_ids).update(last_updated=now, updated_at=clock)
        Location.objects.filter(pk__in=location_ids).update(last_updated=now, updated_at=clock)
        locations_push_own(location_ids)
    logger.info("tariff %s: %s connector(s) in %s location(s) changed", tariff, len(changed), len(location_ids))
    return len(changed)


def connector_tariffs_assign(*, tariff: AssignableTariff, connectors, conflicts: Conflicts | None) -> int:
    """Add our ``tariff`` to the ``tariff_ids`` of our ``connectors`` (a queryset, or Connectors / pks) that lack
    it, atomically; bump connector, EVSE and location ``last_updated`` and push each changed location once.

    ``conflicts(tariff, connectors_to_change)`` returns a message per rule broken (mod_locations.asciidoc, Connector
    ``tariff_ids``: one active tariff per type); any message refuses the whole change with a Django
    ``ValidationError``, as do a partner's tariff or a partner's connector. Returns how many connectors changed.
    """

    def add(ids: list) -> list | None:
        return None if _has(ids, tariff.tariff_id) else [*ids, tariff.tariff_id]

    return _change_connectors(tariff=tariff, connectors=connectors, change=add, conflicts=conflicts)


def connector_tariffs_unassign(*, tariff: AssignableTariff, connectors) -> int:
    """Remove our ``tariff`` (case-insensitively) from the ``tariff_ids`` of our ``connectors`` that have it; same
    bumps and pushes as ``connector_tariffs_assign``. Returns how many connectors changed."""

    def remove(ids: list) -> list | None:
        kept = [i for i in ids if str(i).upper() != tariff.tariff_id.upper()]
        return kept if len(kept) != len(ids) else None

    return _change_connectors(tariff=tariff, connectors=connectors, change=remove, conflicts=None)
