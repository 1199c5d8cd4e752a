"""Status changes and the stop of a session: applied at once and sent to the eMSP at once."""

import datetime as dt

from django.db import transaction

from roaming.core.exceptions import InvalidInput
from roaming.ocpi.datetimes import format_datetime
from roaming.sessions.choices import FINAL_STATUSES, SessionStatus
from roaming.sessions.services.announce import session_push_change
from roaming.sessions.services.csms.common import CsmsResult, Outcome, _locked, _not_future, _now, _reprice


def session_status_from_csms(*, transaction_id: str, status: str, at: dt.datetime | None = None) -> CsmsResult:
    """A status change (PENDING, ACTIVE, RESERVATION, COMPLETED, INVALID), sent to the eMSP at once. One older
    than the last change we applied, or on a session already final, is ignored."""
    at = at or _now()
    _not_future(at, "timestamp")
    with transaction.atomic():
        session = _locked(transaction_id)
        if session.status in FINAL_STATUSES:
            return CsmsResult(session, Outcome.IGNORED, f"session is {session.status}")
        if session.status_changed_at and at < session.status_changed_at:
            return CsmsResult(session, Outcome.IGNORED, "older than the last status change")
        if session.status == status:
            return CsmsResult(session, Outcome.IGNORED, "unchanged")
        if session.status == SessionStatus.PENDING and status == SessionStatus.ACTIVE and not session.meter_readings:
            # mod_sessions.asciidoc, Session.start_date_time: the creation time while PENDING, then the time the
            # session became ACTIVE.
            session.start_date_time = at
        session.status = status
        session.status_changed_at = at
        if status in FINAL_STATUSES and session.end_date_time is None:
            session.end_date_time = max(at, session.start_date_time)
        _reprice(session)
        session.last_updated = _now()
        session_push_change(session=session, urgent=True)
        session.save()
    return CsmsResult(session, Outcome.UPDATED)


def session_stop_from_csms(*, transaction_id: str, end_date_time: dt.datetime, meter_stop: int) -> CsmsResult:
    """The charge ended: the final reading, the end time, status COMPLETED; sent at once. A repeated stop changes
    nothing."""
    _not_future(end_date_time, "end_date_time")
    with transaction.atomic():
        session = _locked(transaction_id)
        if session.status in FINAL_STATUSES:
            return CsmsResult(session, Outcome.IGNORED, f"session is {session.status}")
        if end_date_time < session.start_date_time:
            raise InvalidInput("the session ends before it started", field="end_date_time")
        readings = session.meter_readings
        last_wh = readings[-1][1] if readings else (session.meter_start_wh or 0)
        if meter_stop < last_wh:
            raise InvalidInput(f"{meter_stop} Wh is below the {last_wh} Wh an earlier reading gave", field="meter_stop")
        # Readings after the stop belong to no session; the stop's own reading closes the timeline.
        session.meter_readings = [
            r for r in readings if dt.datetime.fromisoformat(r[0].replace("Z", "+00:00")) < end_date_time
        ]
        if end_date_time > session.start_date_time:
            session.meter_readings.append([format_datetime(end_date_time), meter_stop, None, None])
        session.end_date_time = end_date_time
        session.status = SessionStatus.COMPLETED
        session.status_changed_at = end_date_time
        _reprice(session)
        session.last_updated = _now()
        session_push_change(session=session, urgent=True)
        session.save()
    return CsmsResult(session, Outcome.UPDATED)
