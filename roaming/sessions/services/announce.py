"""Pushing our sessions to the eMSP that owns the token (mod_sessions.asciidoc, "Flow and Lifecycle").

* PUT when the session is created (or when what the eMSP holds can no longer be patched, see below);
* PATCH on every change, through the outbox; **coalesced**: meter updates within
  ``SESSIONS_PATCH_INTERVAL_SECONDS`` (default 60, the spec's cadence advice: "enough for driver feedback, not
  excessive") are merged into one PATCH that is not yet due; a status change goes at once (and carries whatever
  was waiting);
* a PATCH appends ``charging_periods``, so a PATCH carries only periods closed since the last push
  (``announced_periods``); should closed periods ever differ from what was announced, a PUT replaces the whole;
* a PATCH the eMSP refuses or never acknowledges is followed by a GET and a PUT of the whole session
  (transport_and_format.asciidoc, PATCH: "GET the object and, if missing, PUT it"), see ``session_resync``.

Only the owning eMSP receives the session: another eMSP must never learn where a competitor's driver charges.
"""

import datetime as dt
import functools
import json
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roaming.core.sql import hot_cursor
from roaming.ocpi.directory import directory
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.push import push_enqueue, push_schedule
from roaming.ocpi.renderers import dumps
from roaming.ocpi.status import InterfaceRole
from roaming.sessions.models import ChargingSession
from roaming.sessions.ocpi.render import published_periods, session_to_ocpi, total_cost_to_ocpi

logger = logging.getLogger("roaming.sessions")

MODULE = "sessions"
# A waiting PATCH is merged into only while it is comfortably in the future, so a worker never sends a message
# while it is being rewritten.
MERGE_MARGIN = dt.timedelta(seconds=2)


def jsonable(data) -> dict:
    """OCPI JSON (with ``Decimal``) as plain JSON for a JSONField (numbers as the renderer writes them)."""
    return json.loads(dumps(data)) if data is not None else None


def _interval() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SESSIONS_PATCH_INTERVAL_SECONDS)


def _patch_body(session: ChargingSession, new_periods: list[dict]) -> dict:
    body = {"kwh": session.kwh, "status": session.status}
    if session.end_date_time is not None:
        body["end_date_time"] = session.end_date_time
    total_cost = total_cost_to_ocpi(session)
    if total_cost is not None:
        body["total_cost"] = total_cost
    if new_periods:
        body["charging_periods"] = new_periods
    body["last_updated"] = session.last_updated
    return jsonable(body)


def _merge(old: dict, new: dict) -> dict:
    periods = (old.get("charging_periods") or []) + (new.get("charging_periods") or [])
    merged = {**old, **new}
    if periods:
        merged["charging_periods"] = periods
    return merged


#: the waiting PATCH's body overlaid with the new one, the new closed periods appended to its ``charging_periods``
#: (a PATCH appends them, mod_sessions.asciidoc)
_MERGED_BODY = (
    "CASE WHEN %(periods)s::jsonb = '[]'::jsonb THEN COALESCE(body, '{}'::jsonb) || %(overlay)s::jsonb "
    "ELSE COALESCE(body, '{}'::jsonb) || %(overlay)s::jsonb || jsonb_build_object('charging_periods', "
    "COALESCE(body -> 'charging_periods', '[]'::jsonb) || %(periods)s::jsonb) END"
)
#: the newest message of this session for the partner, if it is a PATCH not yet due (and not yet tried)
_WAITING = (
    "id = (SELECT max(id) FROM {outbox} WHERE partner_id = %(partner)s AND module = %(module)s "
    "AND object_key = %(key)s) AND status = %(pending)s AND method = 'PATCH' AND attempts = 0 "
    "AND next_attempt_at > %(margin)s"
)


def _merge_params(session: ChargingSession, partner_id: int, body: dict, now: dt.datetime) -> dict:
    return {
        "periods": json.dumps(body.get("charging_periods") or []),
        "overlay": json.dumps({k: v for k, v in body.items() if k != "charging_periods"}),
        "partner": partner_id,
        "module": MODULE,
        "key": session.object_key,
        "pending": OutboxMessage.Status.PENDING,
        "margin": now + MERGE_MARGIN,
    }


def _merge_into_waiting(
    session: ChargingSession, partner_id: int, body: dict, now: dt.datetime, *, urgent: bool
) -> bool:
    """Merge ``body`` into the newest message of this session for the partner if it is a PATCH not yet due (and not
    yet tried), in one UPDATE (``_MERGED_BODY``). ``urgent`` makes it due now. Returns whether a message took it.

    The session row is locked by the caller, so no other change of this session runs meanwhile; the worker only
    touches a message once it is due, and the conditions are re-checked on the row the UPDATE locks."""
    outbox = connection.ops.quote_name(OutboxMessage._meta.db_table)
    sql = (
        f"UPDATE {outbox} SET body = {_MERGED_BODY}, "  # noqa: S608
        "next_attempt_at = CASE WHEN %(urgent)s THEN %(now)s ELSE next_attempt_at END "
        f"WHERE {_WAITING.format(outbox=outbox)} RETURNING id"
    )
    params = {**_merge_params(session, partner_id, body, now), "urgent": urgent, "now": now}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


@functools.cache
def _meter_update_sql(fields: tuple[str, ...], merge: bool) -> str:
    q = connection.ops.quote_name
    outbox, table = q(OutboxMessage._meta.db_table), q(ChargingSession._meta.db_table)
    columns = ", ".join(f"{q(ChargingSession._meta.get_field(name).column)} = %({name})s" for name in fields)
    if not merge:
        return f"UPDATE {table} SET {columns} WHERE id = %(session)s AND xmin = %(version)s::xid RETURNING 1"  # noqa: S608
    # Locks in the order of the locked path (the session row, then the message), so the two never deadlock: the
    # waiting message is looked for only through the locked session row.
    return (
        f"WITH s0 AS (SELECT id FROM {table} WHERE id = %(session)s AND xmin = %(version)s::xid FOR UPDATE), "  # noqa: S608
        f"w AS (SELECT o.id FROM {outbox} o JOIN s0 ON TRUE "
        f"WHERE o.{_WAITING.format(outbox=outbox)} FOR UPDATE OF o), "
        f"m AS (UPDATE {outbox} SET body = {_MERGED_BODY} WHERE id = (SELECT id FROM w) RETURNING id), "
        f"s AS (UPDATE {table} SET {columns} WHERE id = (SELECT id FROM s0) AND EXISTS (SELECT 1 FROM m) "
        "RETURNING id) "
        "SELECT count(*) FROM s"
    )


def session_push_meter_update(*, session: ChargingSession, row_version: str, fields: list[str]) -> bool:
    """A meter update of an own session merged into the PATCH already waiting for the interval, and the session's
    ``fields`` saved, in one statement and one round trip (PostgreSQL; autocommit is enough, it is one statement):
    the hot path of a live session, where all but the first update of each interval land.

    It writes only if the session row is still the version read (``row_version``: its ``xmin``) and such a PATCH
    waits (a session with no eMSP to push to is only saved); otherwise (a concurrent change, the first update of an
    interval, closed periods that need a PUT) it writes nothing and returns False, and the caller takes the locked
    path (``session_push_change``)."""
    partner_id = session.emsp_partner_id
    params = {"session": session.pk, "version": row_version}
    announced = session.announced_periods
    if partner_id is not None:
        closed = published_periods(session)
        if closed[: len(announced or [])] != (announced or []):
            return False
        body = _patch_body(session, closed[len(announced or []) :])
        params.update(_merge_params(session, partner_id, body, timezone.now()))
        session.announced_periods = closed
    for name in fields:
        field = ChargingSession._meta.get_field(name)
        params[name] = field.get_db_prep_save(field.pre_save(session, False), connection)
    with hot_cursor() as cursor:  # most meter readings end here: planned once per connection
        cursor.execute(_meter_update_sql(tuple(fields), partner_id is not None), params)
        row = cursor.fetchone()
    if row is None or row[0] != 1:
        session.announced_periods = announced  # nothing was written: the session is as the caller read it
        return False
    return True


def _merge_into_waiting_orm(
    session: ChargingSession, partner_id: int, body: dict, now: dt.datetime, *, urgent: bool
) -> bool:
    """``_merge_into_waiting`` off PostgreSQL (SQLite for ``make run``): read, lock and save the waiting message."""
    last = (
        OutboxMessage.objects.select_for_update()
        .filter(partner_id=partner_id, module=MODULE, object_key=session.object_key)
        .order_by("-id")
        .first()
    )
    if (
        last is None
        or last.status != OutboxMessage.Status.PENDING
        or last.method != "PATCH"
        or last.attempts != 0
        or last.next_attempt_at is None
        or last.next_attempt_at <= now + MERGE_MARGIN
    ):
        return False
    last.body = _merge(last.body or {}, body)
    if urgent:
        last.next_attempt_at = now
    last.save(update_fields=["body", "next_attempt_at"])
    return True


def session_push_put(*, session: ChargingSession) -> int:
    """Enqueue a PUT of the whole session to its eMSP (creation, or re-synchronisation). Sets
    ``announced_periods``; the caller saves the session in the same transaction."""
    if session.emsp_partner_id is None:
        return 0
    session.announced_periods = published_periods(session)
    return push_enqueue(
        module=MODULE,
        object_key=session.object_key,
        method="PUT",
        path=session.object_key,
        body=jsonable(session_to_ocpi(session)),
        partner_ids=[session.emsp_partner_id],
    )


def sessions_push_put(*, session_ids: list[int], partner_id: int) -> int:
    """PUT our sessions ``session_ids`` whole again to their eMSP ``partner_id`` (a reconciliation found them missing
    or different there); a session another eMSP owns is left alone. Locks the sessions and saves their
    ``announced_periods`` in one UPDATE. Call inside a transaction; returns the number of outbox messages written."""
    sessions = list(
        ChargingSession.objects.select_for_update()
        .filter(pk__in=session_ids, source_partner__isnull=True, emsp_partner_id=partner_id)
        .order_by("pk")
    )
    written = sum(session_push_put(session=session) for session in sessions)
    ChargingSession.objects.bulk_update(sessions, ["announced_periods"], batch_size=500)
    return written


def session_push_change(*, session: ChargingSession, urgent: bool) -> str:
    """Announce a change of an own session, inside the transaction that writes it: sets the bookkeeping fields
    (``announced_periods``, ``next_patch_not_before``) the caller then saves with the change, in one UPDATE.
    ``urgent``: a status change, sent at once; otherwise a meter update, coalesced. Returns what was done (``put``,
    ``patch``, ``merged`` or ``none``), for tests and logs."""
    partner_id = session.emsp_partner_id
    if partner_id is None:
        return "none"
    closed = published_periods(session)
    announced = session.announced_periods or []
    if closed[: len(announced)] != announced:
        session_push_put(session=session)
        return "put"
    new_periods = closed[len(announced) :]
    body = _patch_body(session, new_periods)
    now = timezone.now()
    session.announced_periods = closed
    if connection.vendor == "postgresql":
        merged = _merge_into_waiting(session, partner_id, body, now, urgent=urgent)
    else:
        merged = _merge_into_waiting_orm(session, partner_id, body, now, urgent=urgent)
    if merged:
        if urgent:
            session.next_patch_not_before = now + _interval()
            transaction.on_commit(lambda: push_schedule(partner_id, MODULE, session.object_key))
        return "merged"
    due = now if urgent or session.next_patch_not_before is None else max(now, session.next_patch_not_before)
    push_enqueue(
        module=MODULE,
        object_key=session.object_key,
        method="PATCH",
        path=session.object_key,
        body=body,
        partner_ids=[partner_id],
        not_before=due,
    )
    session.next_patch_not_before = due + _interval()
    return "patch"


def session_resync(*, partner_id: int, object_key: str) -> str:
    """After a PATCH failed for good: GET the session from the eMSP, and PUT ours unless theirs already equals it.

    Runs in a worker (the GET is HTTP, so never inside a transaction)."""
    session = _own_session_by_key(object_key)
    if session is None or session.emsp_partner_id != partner_id:
        return "unknown session"
    theirs = None
    base = directory().endpoint_url(partner_id, MODULE, InterfaceRole.RECEIVER)
    if base:
        try:
            theirs = directory().client(partner_id).request("GET", f"{base}/{object_key}", module=MODULE).data
        except Exception as exc:
            logger.info("GET of session %s from partner %s failed (%s); PUT follows", object_key, partner_id, exc)
    ours = jsonable(session_to_ocpi(session))
    if theirs is not None and jsonable(theirs) == ours:
        return "in sync"
    with transaction.atomic():
        session = ChargingSession.objects.select_for_update().get(pk=session.pk)
        session_push_put(session=session)
        session.save(update_fields=["announced_periods"])
    return "put"


def _own_session_by_key(object_key: str) -> ChargingSession | None:
    parts = object_key.split("/", 2)
    if len(parts) != 3:
        return None
    return ChargingSession.objects.filter(
        source_partner__isnull=True, country_code=parts[0], party_id=parts[1], session_id=parts[2]
    ).first()


def on_patch_failed(message: OutboxMessage) -> None:
    """The push engine's hook (``register_patch_failure_handler``): re-synchronise in a task of its own."""
    from roaming.sessions.tasks import session_resync_task

    session_resync_task.delay(message.partner_id, message.object_key)
