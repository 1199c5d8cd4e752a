"""Celery tasks of the OCPI core: push delivery, pull runs and housekeeping. Thin: they call the engines."""

from celery import shared_task

from roaming.ocpi.pull import sync_runs_prune
from roaming.ocpi.push import outbox_deliver, outbox_due_keys, outbox_prune, outbox_requeue_due
from roaming.ocpi.traffic import traffic_prune


@shared_task(name="ocpi.traffic_log_prune")
def traffic_log_prune_task(older_than_days: int | None = None) -> int:
    """Delete traffic log entries past ``OCPI_TRAFFIC_LOG_RETENTION_DAYS`` (scheduled daily by default)."""
    return traffic_prune(older_than_days=older_than_days)


@shared_task(name="ocpi.housekeeping_prune", ignore_result=True)
def housekeeping_prune_task() -> dict:
    """Delete delivered outbox rows and finished sync runs past their retention (scheduled daily)."""
    return {"outbox": outbox_prune(), "sync_runs": sync_runs_prune()}


@shared_task(name="ocpi.outbox_deliver", bind=True, max_retries=60, ignore_result=True)
def outbox_deliver_task(self, partner_id: int, module: str, object_key: str) -> str:
    """Deliver pending pushes of one object to one partner, in order."""
    outcome = outbox_deliver(partner_id, module, object_key)
    if outcome == "locked" and not self.app.conf.task_always_eager:
        # Another worker is delivering this object: come back shortly so a message committed while it finished its
        # loop is not left waiting for the periodic re-queue.
        raise self.retry(countdown=1)
    return outcome


@shared_task(name="ocpi.outbox_deliver_batch", ignore_result=True)
def outbox_deliver_batch_task(partner_id: int, module: str, object_keys: list[str]) -> str:
    """Deliver pending pushes of many objects to one partner (bulk changes), each object in order. An object
    another worker is delivering gets its own task shortly after, as ``outbox_deliver_task`` would retry."""
    return _deliver_objects(partner_id, module, object_keys)


@shared_task(name="ocpi.outbox_deliver_due", ignore_result=True)
def outbox_deliver_due_task(partner_id: int, module: str) -> str:
    """Deliver every object of one partner's module with a message due now: the wake-up of messages that were due
    later (``roaming.ocpi.push._wake_at``)."""
    return _deliver_objects(partner_id, module, outbox_due_keys(partner_id, module))


def _deliver_objects(partner_id: int, module: str, object_keys: list[str]) -> str:
    locked = 0
    for object_key in object_keys:
        if outbox_deliver(partner_id, module, object_key) == "locked":
            locked += 1
            outbox_deliver_task.apply_async((partner_id, module, object_key), countdown=1)
    return f"{len(object_keys)} objects, {locked} handed back"


@shared_task(name="ocpi.outbox_requeue_due", ignore_result=True)
def outbox_requeue_due_task() -> int:
    """Re-queue every object with a due pending push (scheduled every minute)."""
    return outbox_requeue_due()


@shared_task(name="ocpi.sync_pull", ignore_result=True)
def sync_pull_task(partner_id: int, module: str, full: bool = False) -> str:
    """Pull a partner's SENDER endpoint for ``module`` (scheduled per partner and module by ops)."""
    from roaming.ocpi.pull import sync_pull

    run = sync_pull(partner_id=partner_id, module=module, full=full)
    return f"{run.status}: {run.accepted} accepted, {run.rejected} rejected" if run else "already running"
