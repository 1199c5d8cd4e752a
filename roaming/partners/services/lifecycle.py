"""Suspending, reactivating and scheduling pulls for a registered partner."""

import logging

from roaming.core.exceptions import (
    InvalidInput,
    StateConflict,
)
from roaming.ocpi.status import InterfaceRole
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner
from roaming.partners.services.onboarding import partner_event

logger = logging.getLogger("roaming.partners")


def partner_suspend(*, partner: Partner) -> None:
    """Cut a registered partner off locally (401 on every call, no pushes) without telling it."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("only a registered partner can be suspended")
    Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.SUSPENDED)
    partner_event(partner, "suspend", "Suspended by staff: its tokens answer 401, nothing is pushed")


def partner_reactivate(*, partner: Partner) -> None:
    if partner.status != PartnerStatus.SUSPENDED:
        raise StateConflict("only a suspended partner can be reactivated")
    Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.REGISTERED)
    partner_event(partner, "reactivate", "Reactivated by staff")


def partner_schedule_pull(*, partner: Partner, module: str, every_minutes: int = 60) -> bool:
    """Create or update the django-celery-beat schedule pulling ``module`` from ``partner``; ops edit it in the
    admin afterwards. Returns True when the schedule was created."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if not partner.endpoints.filter(identifier=module, role=InterfaceRole.SENDER).exists():
        raise InvalidInput(f"{partner} publishes no {module} SENDER endpoint", field="module")
    interval, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period=IntervalSchedule.MINUTES)
    _, created = PeriodicTask.objects.update_or_create(
        name=f"Pull {module} from {partner.name} (#{partner.pk})",
        defaults={
            "task": "ocpi.sync_pull",
            "interval": interval,
            "args": f"[{partner.pk}, {module!r}]".replace("'", '"'),
            "enabled": True,
        },
    )
    partner_event(partner, "schedule", f"{module} pulled every {every_minutes} minutes")
    return created
