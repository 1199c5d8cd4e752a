"""Periodic reconciliation: a django-celery-beat ``PeriodicTask`` per partner and module (like the pull schedules,
``partner_schedule_pull``), which ops then edit or disable in the admin (Periodic tasks)."""

import json

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from roaming.core.exceptions import InvalidInput
from roaming.reconciliation.specs import SPECS

TASK = "reconciliation.run"


def reconciliation_schedule(
    *, partner, module: str, days: int = 1, repair: bool = False, hour: int = 3, minute: int = 30
) -> PeriodicTask:
    """Create or update the daily run reconciling ``module`` with ``partner`` over the last ``days`` days (UTC
    ``hour``:``minute``). Returns the PeriodicTask (its name is the key: scheduling again updates it)."""
    if module not in SPECS:
        raise InvalidInput(f"unknown module {module!r}", field="module")
    if not 1 <= days <= 93:
        raise InvalidInput("the period must be 1 to 93 days", field="days")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(minute), hour=str(hour), day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"Reconcile {module} with {partner.name} (#{partner.pk})",
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "args": json.dumps([partner.pk, module]),
            "kwargs": json.dumps({"days": days, "repair": repair}),
            "enabled": True,
        },
    )
    return task
