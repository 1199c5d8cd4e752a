"""What the CSMS calls share: their result, the clock checks, our session's row (locked or with its version) and its
live price."""

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum

from django.db import connection
from django.utils import timezone

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.core.sql import columns as select_columns
from roaming.core.sql import fetch_instance
from roaming.locations.models import Location
from roaming.ocpi.datetimes import format_datetime
from roaming.sessions.live import price_live
from roaming.sessions.models import ChargingSession

# A CSMS clock a little ahead of ours is normal; further ahead is a bad reading.
CLOCK_SKEW = dt.timedelta(minutes=5)


#: what a meter update changes: written alone, so the row's other JSON (token, tariff) is not rewritten each time
LIVE_FIELDS = [
    "meter_readings",
    "kwh",
    "charging_periods",
    "total_cost_excl_vat",
    "total_cost_incl_vat",
    "last_updated",
    "announced_periods",
    "next_patch_not_before",
    "updated_at",
]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    IGNORED = "ignored"


@dataclass(frozen=True)
class CsmsResult:
    session: ChargingSession
    outcome: Outcome
    reason: str = ""


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def _not_future(value: dt.datetime, field: str) -> None:
    if value > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(f"{format_datetime(value)} is in the future", field=field)


def _time_zone(session: ChargingSession) -> str:
    """The location's time zone (tariff restrictions are local time): read with the locked row (``_locked``), or
    from the location a new session was built with."""
    if not session.own_location_id:
        return "UTC"
    if hasattr(session, "location_time_zone"):
        return session.location_time_zone
    return session.own_location.time_zone


def _reprice(session: ChargingSession) -> None:
    state = price_live(
        start=session.start_date_time,
        meter_start_wh=session.meter_start_wh or 0,
        readings=session.meter_readings,
        end=session.end_date_time,
        tariff=session.tariff,
        currency=session.currency,
        time_zone=_time_zone(session),
        key=session.pk,
    )
    session.kwh = state.kwh
    session.charging_periods = state.charging_periods
    session.total_cost_excl_vat = state.total_cost.excl_vat if state.total_cost else None
    session.total_cost_incl_vat = state.total_cost.incl_vat if state.total_cost else None


def _own_session_sql(columns: str = "", *, many: bool = False) -> str:
    q = connection.ops.quote_name
    session, location = q(ChargingSession._meta.db_table), q(Location._meta.db_table)
    return (
        f"SELECT {select_columns(ChargingSession, 's')}, {columns}l.time_zone AS location_time_zone "  # noqa: S608
        f"FROM {session} s "
        f"LEFT JOIN {location} l ON l.id = s.own_location_id "
        f"WHERE s.csms_transaction_id {'= ANY(%s)' if many else '= %s'} AND s.source_partner_id IS NULL"
    )


@functools.cache
def _locked_sql() -> str:
    # SQLite has no row locks (one writer at a time anyway), nor xmin.
    if connection.vendor != "postgresql":
        return _own_session_sql()
    return _own_session_sql("s.xmin::text AS row_version, ") + " FOR UPDATE OF s"


@functools.cache
def _unlocked_sql(*, many: bool = False) -> str:
    """PostgreSQL: the row with its version (``xmin``, the transaction that wrote it: any write changes it); with
    ``many``, the rows of a list of transaction ids."""
    return _own_session_sql("s.xmin::text AS row_version, ", many=many)


def _locked(transaction_id: str) -> ChargingSession:
    """Our session of a CSMS transaction, locked, with its location's time zone (one column, not the wide Location
    row): every meter reading starts here, so one statement written once (``csms_transaction_id`` is unique)."""
    session = fetch_instance(ChargingSession, _locked_sql(), [transaction_id])
    if session is None:
        raise ObjectNotFound(f"No session with transaction id '{transaction_id}'.")
    return session


def session_get_own(*, transaction_id: str) -> ChargingSession:
    session = ChargingSession.objects.filter(csms_transaction_id=transaction_id, source_partner__isnull=True).first()
    if session is None:
        raise ObjectNotFound(f"No session with transaction id '{transaction_id}'.")
    return session
