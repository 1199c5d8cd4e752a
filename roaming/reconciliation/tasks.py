"""Celery task of reconciliation: the scheduled run (thin: it calls the service)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(name="reconciliation.run", ignore_result=True)
def reconciliation_run_task(partner_id: int, module: str, days: int = 1, repair: bool = False) -> str:
    """Reconcile ``module`` with the partner over the last ``days`` days (scheduled per partner in the admin)."""
    from roaming.reconciliation.services import reconciliation_run

    now = timezone.now()
    run = reconciliation_run(
        partner_id=partner_id,
        module=module,
        date_from=now - timedelta(days=days),
        date_to=now,
        repair=repair,
        started_by="schedule",
    )
    return f"{run.status}: {run.differences_found} differences, {run.repaired} repaired"


@shared_task(name="reconciliation.execute", ignore_result=True)
def reconciliation_execute_task(run_id: int) -> str:
    """Carry out a run started from the admin."""
    from roaming.reconciliation.services import reconciliation_execute

    run = reconciliation_execute(run_id=run_id)
    return f"{run.status}: {run.differences_found} differences, {run.repaired} repaired"
