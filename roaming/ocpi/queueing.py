"""Queueing Celery tasks after a write: best effort, never the caller's failure.

A change is committed before its task is published (``transaction.on_commit``): the database is the record, the
task only a wake-up call. If the broker is down the publish fails fast (one attempt, ``CELERY_PUBLISH_TIMEOUT``),
the failure is logged and the caller still gets the success its committed change deserves; the periodic re-queue
(``outbox_requeue_due``, every minute) delivers what was saved.
"""

import logging

from django.db import transaction

logger = logging.getLogger("roaming.ocpi.queueing")


def publish(task, args: tuple = (), *, countdown: float | None = None) -> bool:
    """Publish ``task(*args)`` once, without kombu's publish retries; return False (logged) when the broker failed."""
    try:
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception as exc:  # kombu OperationalError, redis ConnectionError, timeouts: the broker is not there
        logger.warning("could not queue %s%s (the periodic re-queue will pick it up): %s", task.name, args, exc)
        return False
    return True


def publish_on_commit(task, args: tuple = ()) -> None:
    """``publish`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish(task, args))
