"""The push engine: deliver changes of our own data to every partner that wants them.

transport_and_format.asciidoc tells a sender not to queue failed pushes and leaves re-synchronisation to the
receiver's pulls. We do better without breaking that contract: a change writes an ``OutboxMessage`` per interested
partner in the same database transaction (nothing accepted is lost, even if Redis or the worker is down), Celery
delivers them in order per object, and a periodic task re-queues whatever is due. Rules:

* fan-out: partners whose version details list the module's RECEIVER endpoint (``directory().receivers``);
* order: one delivery loop per (partner, module, object_key) at a time, guarded by a database advisory lock
  (``roaming.ocpi.locks``: holds however long a delivery takes, freed at once if the worker dies); a message may
  also wait for earlier pushes of other objects (``after_keys``);
* freshness: when several messages for one object are pending, a later PUT supersedes everything before it
  (a PUT is a full replacement), so a late retry never sends stale data;
* retries: connection errors, HTTP 5xx/429/401 and OCPI 3xxx are retried with exponential backoff and jitter up to
  ``OCPI_PUSH_MAX_ATTEMPTS``; a partner's refusal (HTTP 4xx, OCPI 2xxx) fails the message at once, with the reason;
* backoff per partner: a transient failure also backs the whole partner off (consecutive failures grow it), so its
  other objects wait for its next retry time without a call, and no worker sits in HTTP retries for a partner that
  is down (pushes are sent without the client's own quick retries) while healthy partners' pushes go on;
* a suspended partner's messages wait; an unregistered partner's are cancelled;
* a message may go to chosen partners only (``partner_ids``: a CDR is POSTed to the eMSP it concerns,
  mod_cdrs.asciidoc "Push model"); a module may listen to confirmed deliveries (``register_delivery_listener``), e.g.
  to keep the ``Location`` header a CDR POST is answered with;
* a message may go to an absolute URL the partner gave us (``push_enqueue_to_url``: a CommandResult to the eMSP's
  ``response_url``, mod_commands.asciidoc), with the same retries; a module whose pushes go to the partner's SENDER
  interface says so (``register_push_interface``) so routing headers name the right roles.
"""

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from roaming.core.sql import insert_returning_pk
from roaming.ocpi.client import OcpiClientError, join_url
from roaming.ocpi.directory import directory
from roaming.ocpi.locks import exclusive
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.queueing import publish, publish_on_commit
from roaming.ocpi.status import InterfaceRole

logger = logging.getLogger("roaming.ocpi.push")

# Only for the cache-lock fallback off PostgreSQL (development): PostgreSQL's advisory lock has no TTL.
LOCK_SECONDS = 300

#: module -> callables run with (message, result) once a partner confirmed a message of that module
_delivery_listeners: dict[str, list[Callable]] = {}


def register_delivery_listener(module: str, listener: Callable) -> None:
    """Call ``listener(message, result)`` (an ``OutboxMessage`` and the partner's ``OcpiResult``) after each
    confirmed delivery of ``module``, in the worker, after the message is marked delivered."""
    if listener not in _delivery_listeners.setdefault(module, []):
        _delivery_listeners[module].append(listener)


#: module -> the partner interface its messages are addressed to, when not the RECEIVER (commands: SENDER)
_push_interfaces: dict[str, str] = {}


def register_push_interface(module: str, interface: str) -> None:
    """Messages of ``module`` go to the partner's ``interface`` (mod_commands.asciidoc: our CPO posts CommandResults
    to the eMSP's Sender interface) rather than its RECEIVER."""
    _push_interfaces[module] = interface


def _is_absolute(path: str) -> bool:
    return path.startswith(("http://", "https://"))


@dataclass(frozen=True)
class PushItem:
    """One change to announce: ``path`` is relative to the partner's RECEIVER endpoint of the module."""

    object_key: str
    method: str
    path: str
    body: dict | None
    #: keys of other objects whose earlier pending pushes must reach the partner first (e.g. a tariff DELETE after
    #: the location PUTs that unlinked it, as mod_tariffs.asciidoc requires)
    after_keys: tuple[str, ...] = ()


def push_enqueue(
    *,
    module: str,
    object_key: str,
    method: str,
    path: str,
    body: dict | None,
    version: str = "2.2.1",
    after_keys: tuple[str, ...] = (),
    partner_ids: list[int] | None = None,
    not_before=None,
) -> int:
    """Write one outbox message per receiving partner and schedule delivery after commit; return how many.

    Call it inside the transaction that changes the data, so the change and its pushes commit together.
    ``partner_ids`` narrows the fan-out to those receivers (a session goes only to the eMSP owning its token);
    ``not_before`` delays delivery (coalescing of frequent updates).
    """
    item = PushItem(object_key, method, path, body, tuple(after_keys))
    return push_enqueue_many(
        module=module, items=[item], version=version, partner_ids=partner_ids, not_before=not_before
    )


def push_enqueue_many(
    *, module: str, items: list[PushItem], version: str = "2.2.1", partner_ids: list[int] | None = None, not_before=None
) -> int:
    """``push_enqueue`` for many changes at once (imports, bulk tariff assignment): the receivers are looked up once
    and every message is written in one bulk insert."""
    receivers = directory().receivers(module) if items else []
    if partner_ids is not None:
        wanted = set(partner_ids)
        receivers = [pid for pid in receivers if pid in wanted]
    partner_ids = receivers
    if not partner_ids:
        return 0
    now = max(timezone.now(), not_before) if not_before else timezone.now()
    messages = [
        OutboxMessage(
            partner_id=pid,
            version=version,
            module=module,
            object_key=item.object_key,
            method=item.method.upper(),
            path=item.path,
            body=item.body,
            after_keys=list(item.after_keys),
            next_attempt_at=now,
        )
        for item in items
        for pid in partner_ids
    ]
    if len(messages) == 1 and connection.vendor == "postgresql":
        # The usual change (a session's PATCH to its one eMSP, on the first meter reading of each interval): an
        # INSERT planned once per connection, not a bulk insert compiled for one row.
        insert_returning_pk(messages[0])
    else:
        OutboxMessage.objects.bulk_create(messages, batch_size=1000)
    keys = list(dict.fromkeys((m.partner_id, m.object_key) for m in messages))
    transaction.on_commit(lambda: _schedule(module, keys, at=now))
    return len(messages)


def push_enqueue_to_url(
    *,
    partner_id: int,
    module: str,
    object_key: str,
    url: str,
    body: dict | None,
    method: str = "POST",
    version: str = "2.2.1",
) -> int:
    """Write one outbox message to one partner at an absolute ``url`` it gave us (no fan-out, no endpoint lookup)
    and schedule its delivery after commit. Call it inside the transaction that records what the message says."""
    if not _is_absolute(url):
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    now = timezone.now()
    OutboxMessage.objects.create(
        partner_id=partner_id,
        version=version,
        module=module,
        object_key=object_key,
        method=method.upper(),
        path=url,
        body=body,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: _schedule(module, [(partner_id, object_key)], at=now))
    return 1


#: above this many objects in one change, deliveries are scheduled in batches (one broker message per batch):
#: a 100,000-card import would otherwise spend minutes publishing 100,000 task messages
SCHEDULE_BATCH_ABOVE = 50
SCHEDULE_BATCH_SIZE = 500


def _schedule(module: str, keys: list[tuple[int, str]], at=None) -> None:
    from roaming.ocpi.tasks import outbox_deliver_batch_task

    if len(keys) <= SCHEDULE_BATCH_ABOVE or (at and at > timezone.now()):
        for partner_id, object_key in keys:
            push_schedule(partner_id, module, object_key, at=at)
        return
    by_partner: dict[int, list[str]] = {}
    for partner_id, object_key in keys:
        by_partner.setdefault(partner_id, []).append(object_key)
    for partner_id, object_keys in by_partner.items():
        for start in range(0, len(object_keys), SCHEDULE_BATCH_SIZE):
            publish(outbox_deliver_batch_task, (partner_id, module, object_keys[start : start + SCHEDULE_BATCH_SIZE]))


def push_schedule(partner_id: int, module: str, object_key: str, *, at=None) -> None:
    """Ask a worker (best effort, ``roaming.ocpi.queueing``) to deliver one object's pending messages, at ``at`` when
    that is in the future (in-process mode runs tasks at once, so a delayed message waits for the periodic
    re-queue there; with workers, ``_wake_at``)."""
    from roaming.ocpi.tasks import outbox_deliver_task

    delay = (at - timezone.now()).total_seconds() if at else 0.0
    if delay > 0:
        if not outbox_deliver_task.app.conf.task_always_eager:
            _wake_at(partner_id, module, at)
        return
    publish(outbox_deliver_task, (partner_id, module, object_key))


#: a wake-up runs this long after the end of its window, so a worker whose clock lags a little still finds the
#: window's messages due
WAKE_SLACK_SECONDS = 1.0


def _wake_at(partner_id: int, module: str, at: datetime) -> None:
    """Have a worker deliver every message of ``partner_id``'s ``module`` due by the end of the window of
    ``OCPI_PUSH_WAKE_SECONDS`` that ``at`` falls in (``outbox_deliver_due``). The first message due in a window
    publishes the wake-up; the others find the window claimed (in the cache, an atomic add) and publish nothing. A
    message is so delivered up to a window later than due; a wake-up that is lost (the broker or the cache down, a
    worker gone) leaves its messages to the periodic re-queue, as any lost task."""
    from roaming.ocpi.tasks import outbox_deliver_due_task

    window = max(1.0, float(getattr(settings, "OCPI_PUSH_WAKE_SECONDS", 5)))
    end = math.ceil(at.timestamp() / window) * window
    countdown = max(0.0, end - time.time()) + WAKE_SLACK_SECONDS
    key = f"ocpi:push:wake:{partner_id}:{module}:{end:.0f}"
    try:
        claimed = cache.add(key, 1, timeout=int(countdown) + 60)
    except Exception:  # the cache is down: wake up for this message, as if the window were ours
        logger.warning("could not claim the push wake-up %s: publishing it", key, exc_info=True)
        claimed = True
    if claimed and not publish(outbox_deliver_due_task, (partner_id, module), countdown=countdown):
        try:
            cache.delete(key)  # the next message due in this window publishes it again
        except Exception:
            logger.warning("could not release the push wake-up %s", key, exc_info=True)


def outbox_due_keys(partner_id: int, module: str, *, limit: int = 5000) -> list[str]:
    """The objects of ``partner_id``'s ``module`` with a pending message due now."""
    return list(
        OutboxMessage.objects.filter(
            partner_id=partner_id,
            module=module,
            status=OutboxMessage.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
        )
        .order_by()  # as in outbox_requeue_due: one row per object
        .values_list("object_key", flat=True)
        .distinct()[:limit]
    )


#: module -> callable(message) run when a PATCH fails for good (a module may re-synchronise the whole object)
_patch_failure_handlers: dict = {}


def register_patch_failure_handler(module: str, handler) -> None:
    """transport_and_format.asciidoc (PATCH): "if a PATCH fails, the sender should GET the object and, if
    missing, PUT it". A module registers what to do; the engine calls it outside any transaction."""
    _patch_failure_handlers[module] = handler


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with +-20% jitter, capped."""
    base = settings.OCPI_PUSH_BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(base, settings.OCPI_PUSH_BACKOFF_MAX) * random.uniform(0.8, 1.2)


def _is_transient(error: OcpiClientError) -> bool:
    if error.transient:
        return True
    if error.http_status in (401, 408, 429):
        return True  # a token being rotated, a slow or throttling partner: worth another try
    return error.ocpi_status is not None and error.ocpi_status >= 3000 and (error.http_status or 200) < 400


def _backoff_key(partner_id: int) -> str:
    return f"ocpi:outbox:backoff:{partner_id}"


def partner_backoff_until(partner_id: int) -> datetime | None:
    """When pushes to a failing partner may be tried again (None: it is not failing). Per partner, not per message:
    one partner down must not cost a call, a timeout and a worker for each of its objects."""
    try:
        state = cache.get(_backoff_key(partner_id))
    except Exception:  # the cache (Redis) is down: deliver as if no backoff was recorded
        return None
    return datetime.fromtimestamp(state["until"], UTC) if state else None


def _partner_failed(partner_id: int) -> datetime:
    """Record one more consecutive transient failure of the partner; return when it may be tried again."""
    key = _backoff_key(partner_id)
    try:
        state = cache.get(key) or {"failures": 0}
        failures = state["failures"] + 1
        until = timezone.now() + timedelta(seconds=backoff_seconds(failures))
        # Kept well past the retry time so consecutive failures keep growing the backoff.
        cache.set(key, {"failures": failures, "until": until.timestamp()}, int(settings.OCPI_PUSH_BACKOFF_MAX) * 2)
        return until
    except Exception:
        return timezone.now()


def _partner_recovered(partner_id: int) -> None:
    try:
        cache.delete(_backoff_key(partner_id))
    except Exception:
        logger.warning("could not clear the push backoff of partner %s", partner_id)


def _lock_key(partner_id: int, module: str, object_key: str) -> str:
    return f"ocpi:outbox:{partner_id}:{module}:{object_key}"


def outbox_deliver(partner_id: int, module: str, object_key: str) -> str:
    """Deliver the due messages of one object to one partner, oldest first. Returns what happened, for logs.

    Returns ``locked`` when another worker is delivering this object (the caller retries shortly).
    """
    with exclusive(_lock_key(partner_id, module, object_key), fallback_ttl=LOCK_SECONDS) as taken:
        if not taken:
            return "locked"
        return _deliver_loop(partner_id, module, object_key)


def _deliver_loop(partner_id: int, module: str, object_key: str) -> str:
    state = directory().state(partner_id)
    pending = OutboxMessage.objects.filter(
        partner_id=partner_id, module=module, object_key=object_key, status=OutboxMessage.Status.PENDING
    )
    if state == "gone":
        count = pending.update(status=OutboxMessage.Status.CANCELLED, last_error="partner unregistered")
        return f"cancelled {count}"
    if state != "active":
        return "partner paused"
    # Read once per loop: one object's messages share a partner, its endpoint and its client.
    interface = _push_interfaces.get(module, InterfaceRole.RECEIVER)
    base = directory().endpoint_url(partner_id, module, interface)
    client = directory().client(partner_id, module=module, interface=interface, retries=0)
    delivered = 0
    while True:
        messages = list(pending.order_by("id"))
        if not messages:
            return f"delivered {delivered}"
        last_put = max((i for i, m in enumerate(messages) if m.method == "PUT"), default=0)
        if last_put > 0:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in messages[:last_put]]).update(
                status=OutboxMessage.Status.SUPERSEDED
            )
        message = messages[last_put]
        now = timezone.now()
        if message.next_attempt_at and message.next_attempt_at > now:
            return f"waiting until {message.next_attempt_at.isoformat()}"
        if message.after_keys and _earlier_pending(message):
            message.next_attempt_at = now + timedelta(seconds=2)
            message.save(update_fields=["next_attempt_at"])
            _schedule_retry(message)
            return "waiting for earlier pushes of related objects"
        resume_at = partner_backoff_until(partner_id)
        if resume_at is not None and resume_at > now:
            # The partner is failing: wait for its next retry time without a call (and without holding a worker).
            message.next_attempt_at = resume_at
            message.save(update_fields=["next_attempt_at"])
            _schedule_retry(message)
            return f"partner backing off until {resume_at.isoformat()}"
        if not _send(message, base, client):
            return f"delivered {delivered}, then retry later"
        delivered += 1


def _earlier_pending(message: OutboxMessage) -> bool:
    return OutboxMessage.objects.filter(
        partner_id=message.partner_id,
        object_key__in=message.after_keys,
        status=OutboxMessage.Status.PENDING,
        id__lt=message.id,
    ).exists()


def _send(message: OutboxMessage, base: str | None, client) -> bool:
    """Send one message to the partner's RECEIVER endpoint ``base``; return True when the loop may go on."""
    now = timezone.now()
    message.attempts += 1
    message.last_attempt_at = now
    absolute = _is_absolute(message.path)
    if not base and not absolute:
        message.status = OutboxMessage.Status.FAILED
        message.last_error = f"the partner no longer publishes a {message.module} RECEIVER endpoint"
        message.save()
        return True
    # An absolute path is a URL the partner gave us (a commands response_url); an empty one, the collection (CDRs).
    url = message.path if absolute else (join_url(base, message.path) if message.path else base)
    try:
        result = client.request(message.method, url, json=message.body, module=message.module)
    except OcpiClientError as exc:
        message.http_status, message.ocpi_status, message.last_error = exc.http_status, exc.ocpi_status, exc.message
        if _is_transient(exc) and message.attempts < settings.OCPI_PUSH_MAX_ATTEMPTS:
            resume_at = _partner_failed(message.partner_id)
            message.next_attempt_at = max(
                resume_at, timezone.now() + timedelta(seconds=backoff_seconds(message.attempts))
            )
            message.save()
            _schedule_retry(message)
            return False
        message.status = OutboxMessage.Status.FAILED
        message.save()
        logger.warning("push %s failed for good: %s", message.pk, exc.message)
        handler = _patch_failure_handlers.get(message.module) if message.method == "PATCH" else None
        if handler is not None:
            handler(message)
        return True
    _partner_recovered(message.partner_id)
    message.status = OutboxMessage.Status.DELIVERED
    message.delivered_at = timezone.now()
    message.http_status, message.ocpi_status, message.last_error = result.http_status, result.status_code, ""
    message.save()
    for listener in _delivery_listeners.get(message.module, []):
        try:
            listener(message, result)
        except Exception:  # the partner has the message: a listener's failure must not undo or repeat that
            logger.exception("delivery listener %r failed for push %s", listener, message.pk)
    return True


def _schedule_retry(message: OutboxMessage) -> None:
    # The task module is imported late (it imports this one); the task's app is whichever Celery app the project
    # wired up, so the OCPI core never reaches into ``config``.
    from roaming.ocpi.tasks import outbox_deliver_task

    if outbox_deliver_task.app.conf.task_always_eager:
        return  # in-process mode runs "countdown" tasks at once; the periodic re-queue picks the message up

    delay = max(0.0, (message.next_attempt_at - timezone.now()).total_seconds())
    publish(outbox_deliver_task, (message.partner_id, message.module, message.object_key), countdown=delay)


def outbox_requeue_due(*, limit: int = 5000) -> int:
    """Schedule delivery of every object with a due pending message (covers lost tasks, worker or Redis outages)."""
    from roaming.ocpi.tasks import outbox_deliver_task

    due = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by()  # the model's ordering (-id) would put id into the DISTINCT: one row per message, not per object
        .values_list("partner_id", "module", "object_key")
        .distinct()[:limit]
    )
    count = 0
    for partner_id, module, object_key in due:
        if not publish(outbox_deliver_task, (partner_id, module, object_key)):
            break  # the broker is down: the next run tries again
        count += 1
    return count


def outbox_retry(*, message_ids: list[int]) -> int:
    """Staff retry of failed (or stuck) messages: back to pending, due now, attempts reset."""
    messages = OutboxMessage.objects.filter(
        pk__in=message_ids, status__in=[OutboxMessage.Status.FAILED, OutboxMessage.Status.PENDING]
    )
    keys = set(messages.values_list("partner_id", "module", "object_key"))
    count = messages.update(status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0)
    for partner_id in {partner_id for partner_id, _, _ in keys}:
        _partner_recovered(partner_id)  # staff asked for now: the partner's backoff too
    from roaming.ocpi.tasks import outbox_deliver_task

    for partner_id, module, object_key in keys:
        publish_on_commit(outbox_deliver_task, (partner_id, module, object_key))
    return count


def outbox_prune(*, older_than_days: int | None = None) -> int:
    """Delete delivered, superseded and cancelled messages older than ``OCPI_OUTBOX_RETENTION_DAYS``; pending and
    failed ones stay (the first are still owed, the second wait for staff). Returns how many were deleted."""
    days = settings.OCPI_OUTBOX_RETENTION_DAYS if older_than_days is None else older_than_days
    done = [OutboxMessage.Status.DELIVERED, OutboxMessage.Status.SUPERSEDED, OutboxMessage.Status.CANCELLED]
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = OutboxMessage.objects.filter(status__in=done, created_at__lt=cutoff).delete()
    return deleted
