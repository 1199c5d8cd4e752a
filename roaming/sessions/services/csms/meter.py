"""Meter values of a running session: appended, re-priced and announced to the eMSP (coalesced)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.core.sql import fetch_instance, fetch_instances, update_instance
from roaming.ocpi.datetimes import format_datetime
from roaming.sessions.choices import FINAL_STATUSES
from roaming.sessions.models import ChargingSession
from roaming.sessions.services.announce import session_push_change, session_push_meter_update
from roaming.sessions.services.csms.common import (
    LIVE_FIELDS,
    CsmsResult,
    Outcome,
    _locked,
    _not_future,
    _now,
    _reprice,
    _unlocked_sql,
)


def session_meter_values_from_csms(*, transaction_id: str, readings: list[dict]) -> CsmsResult:
    """Cumulative meter readings (``timestamp``, ``energy_wh``, optional ``power_w``/``current_a``).

    A reading at or before the latest one we hold (a duplicate, or one overtaken by a later one) is ignored; energy
    below an earlier reading's is refused (``energy_wh``), and then nothing of the call is kept.

    On PostgreSQL the common case (a PATCH of this session is waiting for the interval, so the update merges into
    it) is written without a transaction of its own: the session is read unlocked, and one statement checks that
    the row is still the one read, merges the PATCH and updates the session (``session_push_meter_update``).
    Anything else (the session changed meanwhile, the first update of an interval, a PUT owed, a reading refused)
    takes the locked path, which decides as before."""
    attempt = None
    if connection.vendor == "postgresql":
        attempt = fetch_instance(ChargingSession, _unlocked_sql(), [transaction_id])
        if attempt is None:
            raise ObjectNotFound(f"No session with transaction id '{transaction_id}'.")
        result = _apply_unlocked(attempt, readings)
        if result is not None:
            return result
    return _meter_values_locked(transaction_id, readings, attempt)


def _meter_values_locked(transaction_id: str, readings: list[dict], attempt: ChargingSession | None) -> CsmsResult:
    """The locked path. ``attempt``: the unlocked row the merge was tried on; when it got as far as pricing and the
    locked row is still that version, its readings and price are the locked row's too and are kept (the first
    update of each interval lands here, so it is not computed twice)."""
    with transaction.atomic():
        session = _locked(transaction_id)
        if attempt is not None and getattr(attempt, "priced", False) and attempt.row_version == session.row_version:
            session = attempt
        else:
            if session.status in FINAL_STATUSES:
                return CsmsResult(session, Outcome.IGNORED, f"session is {session.status}")
            if not _append_readings(session, readings):
                return CsmsResult(session, Outcome.IGNORED, "no reading newer than the last one")
            _reprice(session)
        session.last_updated = _now()
        session_push_change(session=session, urgent=False)
        update_instance(session, LIVE_FIELDS)  # the first reading of every interval: planned once per connection
    return CsmsResult(session, Outcome.UPDATED)


def _apply_unlocked(session: ChargingSession, readings: list[dict]) -> CsmsResult | None:
    """``readings`` on the unlocked row ``session`` (with its ``row_version``); None when the locked path must
    decide (``session.priced`` then says whether its readings were appended and priced). An outcome found on the
    unlocked row holds for the current row: a final status stays final, and a reading ignored as not newer than the
    last one stays so (readings only move forward)."""
    if session.status in FINAL_STATUSES:
        return CsmsResult(session, Outcome.IGNORED, f"session is {session.status}")
    try:
        added = _append_readings(session, readings)
    except InvalidInput:
        return None  # judged again on the locked row, which may hold readings this one does not
    if not added:
        return CsmsResult(session, Outcome.IGNORED, "no reading newer than the last one")
    _reprice(session)
    session.last_updated = _now()
    session.priced = True
    if not session_push_meter_update(session=session, row_version=session.row_version, fields=LIVE_FIELDS):
        return None
    return CsmsResult(session, Outcome.UPDATED)


def _append_readings(session: ChargingSession, readings: list[dict]) -> int:
    """Append to ``session.meter_readings`` the readings later than its last one, in time order; the number
    appended. Raises ``InvalidInput`` (``timestamp`` in the future, ``energy_wh`` below an earlier reading's)."""
    last_at = session.start_date_time
    last_wh = session.meter_start_wh or 0
    if session.meter_readings:
        last_at = max(last_at, dt.datetime.fromisoformat(session.meter_readings[-1][0].replace("Z", "+00:00")))
        last_wh = session.meter_readings[-1][1]
    added = 0
    for reading in sorted(readings, key=lambda r: r["timestamp"]):
        at = reading["timestamp"]
        _not_future(at, "timestamp")
        if at <= last_at:
            continue
        if reading["energy_wh"] < last_wh:
            raise InvalidInput(
                f"{reading['energy_wh']} Wh is below the {last_wh} Wh an earlier reading gave", field="energy_wh"
            )
        session.meter_readings.append(
            [
                format_datetime(at),
                reading["energy_wh"],
                _number(reading.get("power_w")),
                _number(reading.get("current_a")),
            ]
        )
        last_at, last_wh = at, reading["energy_wh"]
        added += 1
    return added


def _number(value) -> float | None:
    return None if value is None else float(Decimal(value))


@dataclass(frozen=True)
class BatchItemResult:
    """What became of one transaction's readings in a batch: ``outcome`` is ``updated`` or ``ignored`` (with the
    session), ``rejected`` (``errors``: field -> messages, nothing of it kept) or ``not_found``."""

    transaction_id: str
    outcome: str
    reason: str = ""
    errors: dict | None = None
    session: ChargingSession | None = None


def session_meter_values_batch_from_csms(*, meter_values: list[dict]) -> list[BatchItemResult]:
    """Readings of many sessions in one call (each a reading with its ``transaction_id``), as a CSMS forwards what
    its chargers report: one result per transaction, in the order of its first reading.

    Each transaction is handled as ``session_meter_values_from_csms`` handles it, on its own: its readings are kept
    or refused together (a savepoint each on the locked path), and one refused or unknown transaction leaves the
    others alone. On PostgreSQL the sessions are read in one statement and each merged update costs one more; the
    whole call is one transaction, so one commit (one WAL flush) instead of one per session, and the sessions are
    locked in transaction id order, so two batches never deadlock on each other."""
    by_transaction: dict[str, list[dict]] = {}
    for reading in meter_values:
        by_transaction.setdefault(reading["transaction_id"], []).append(reading)
    results = {}
    with transaction.atomic():
        unlocked = {}
        if connection.vendor == "postgresql":
            rows = fetch_instances(ChargingSession, _unlocked_sql(many=True), [list(by_transaction)])
            unlocked = {row.csms_transaction_id: row for row in rows}
        for transaction_id in sorted(by_transaction):
            results[transaction_id] = _batch_item(transaction_id, by_transaction[transaction_id], unlocked)
    return [results[transaction_id] for transaction_id in by_transaction]


def _batch_item(transaction_id: str, readings: list[dict], unlocked: dict) -> BatchItemResult:
    try:
        if connection.vendor != "postgresql":
            result = session_meter_values_from_csms(transaction_id=transaction_id, readings=readings)
        elif transaction_id not in unlocked:
            raise ObjectNotFound(f"No session with transaction id '{transaction_id}'.")
        else:
            attempt = unlocked[transaction_id]
            result = _apply_unlocked(attempt, readings) or _meter_values_locked(transaction_id, readings, attempt)
    except ObjectNotFound as exc:
        return BatchItemResult(transaction_id, "not_found", exc.message)
    except InvalidInput as exc:
        return BatchItemResult(
            transaction_id, "rejected", exc.message, {exc.field or "non_field_errors": [exc.message]}
        )
    return BatchItemResult(transaction_id, result.outcome.value, result.reason, session=result.session)
