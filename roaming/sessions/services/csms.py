"""Our CPO's sessions as our CSMS reports them (mod_sessions.asciidoc, "Flow and Lifecycle"; the internal API).

Every call is keyed on the CSMS's own transaction id and idempotent: a repeated start returns the session already
made, a repeated or older meter reading or status change is acknowledged and ignored, a repeated stop changes
nothing. A bad call (an unknown charger or token, energy going backwards, a time in the future) raises a
``DomainError`` naming the field and writes nothing.

Each accepted change re-prices the session from its readings (``roaming.sessions.live``) and is announced to the
owning eMSP in the same transaction (``roaming.sessions.services.announce``).
"""

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import uuid4

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.core.sql import fetch_instance
from roaming.locations.models import EVSE, Connector, Location
from roaming.ocpi.datetimes import format_datetime
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import PartnerRole
from roaming.sessions.choices import FINAL_STATUSES, AuthMethod, SessionStatus
from roaming.sessions.live import price_live
from roaming.sessions.models import ChargingSession
from roaming.sessions.services.announce import (
    jsonable,
    session_push_change,
    session_push_meter_update,
    session_push_put,
)
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tariffs.selectors import tariff_get
from roaming.tokens.selectors import token_find_cached, token_get_own

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


def _charger(*, charger_id: str, evse_uid: str, connector_id: str) -> Connector:
    evses = EVSE.objects.filter(location__source_partner__isnull=True).select_related("location")
    if charger_id:
        evse = evses.filter(internal_id=charger_id).first()
        field = "charger_id"
    else:
        evse = evses.filter(uid__iexact=evse_uid).first()
        field = "evse_uid"
    if evse is None:
        raise InvalidInput(f"no charger of ours is known as '{charger_id or evse_uid}'", field=field)
    connector = Connector.objects.filter(evse=evse, connector_id__iexact=connector_id).first()
    if connector is None:
        raise InvalidInput(f"EVSE {evse.uid} has no connector '{connector_id}'", field="connector_id")
    connector.evse = evse
    return connector


def _cdr_token(data: dict) -> dict:
    """CdrToken from the token cache (the eMSP's country/party and contract); the CSMS may name them itself for a
    token the cache does not hold (an ad hoc or offline-authorized charge)."""
    uid, type_ = data["token_uid"], data.get("token_type") or "RFID"
    token = token_find_cached(uid=uid, type=type_) or token_get_own(uid=uid, type=type_)
    given = {k: data.get(k) for k in ("country_code", "party_id", "contract_id")}
    if token is not None:
        return {
            "country_code": token.country_code,
            "party_id": token.party_id,
            "uid": token.uid,
            "type": token.type,
            "contract_id": token.contract_id,
        }
    if not all(given.values()):
        raise InvalidInput(
            f"token {uid} ({type_}) is not in the token cache; give country_code, party_id and contract_id",
            field="token_uid",
        )
    return {
        "country_code": given["country_code"].upper(),
        "party_id": given["party_id"].upper(),
        "uid": uid,
        "type": type_,
        "contract_id": given["contract_id"],
    }


def _tariff_at_start(connector: Connector) -> dict | None:
    """The connector's tariff now (mod_tariffs.asciidoc: a session keeps the tariff valid at its start). A connector
    lists its tariffs; the first one of ours that exists and is not a charging-profile tariff applies."""
    location = connector.evse.location
    for tariff_id in connector.tariff_ids or []:
        tariff = tariff_get(
            country_code=location.country_code, party_id=location.party_id, tariff_id=str(tariff_id), own=True
        )
        if tariff is not None and not (tariff.type or "").startswith("PROFILE_"):
            return jsonable(tariff_to_ocpi(tariff))
    return None


def _emsp_partner_id(cdr_token: dict) -> int | None:
    """The connection of the eMSP owning the token: a party that unregistered and registered again has an old,
    dead partner row too; the session goes to the live one (a suspended one keeps its pushes for later)."""
    return (
        PartnerRole.objects.filter(
            country_code=cdr_token["country_code"],
            party_id=cdr_token["party_id"],
            role="EMSP",
            partner__status__in=[PartnerStatus.REGISTERED, PartnerStatus.SUSPENDED],
        )
        .order_by("-partner_id")
        .values_list("partner_id", flat=True)
        .first()
    )


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
    )
    session.kwh = state.kwh
    session.charging_periods = state.charging_periods
    session.total_cost_excl_vat = state.total_cost.excl_vat if state.total_cost else None
    session.total_cost_incl_vat = state.total_cost.incl_vat if state.total_cost else None


def _own_session_sql(columns: str = "") -> str:
    q = connection.ops.quote_name
    session, location = q(ChargingSession._meta.db_table), q(Location._meta.db_table)
    return (
        f"SELECT s.*, {columns}l.time_zone AS location_time_zone FROM {session} s "  # noqa: S608
        f"LEFT JOIN {location} l ON l.id = s.own_location_id "
        "WHERE s.csms_transaction_id = %s AND s.source_partner_id IS NULL"
    )


@functools.cache
def _locked_sql() -> str:
    # SQLite has no row locks (one writer at a time anyway).
    return _own_session_sql() + (" FOR UPDATE OF s" if connection.features.has_select_for_update_of else "")


@functools.cache
def _unlocked_sql() -> str:
    """PostgreSQL: the row with its version (``xmin``, the transaction that wrote it: any write changes it)."""
    return _own_session_sql("s.xmin::text AS row_version, ")


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


def session_start_from_csms(*, transaction_id: str, data: dict) -> CsmsResult:
    """A charge started (or was reserved): create the Session and PUT it to the owning eMSP.

    ``data``: token_uid, token_type, charger_id or evse_uid, connector_id, start_date_time, meter_start (Wh), and
    optionally authorization_reference (from ``/api/v1/authorize``), auth_method, status, meter_id and the token's
    country_code/party_id/contract_id when the cache does not hold it."""
    existing = ChargingSession.objects.filter(csms_transaction_id=transaction_id).first()
    if existing is not None:
        return CsmsResult(existing, Outcome.IGNORED, "already started")
    start = data["start_date_time"]
    _not_future(start, "start_date_time")
    connector = _charger(
        charger_id=data.get("charger_id") or "", evse_uid=data.get("evse_uid") or "", connector_id=data["connector_id"]
    )
    cdr_token = _cdr_token(data)
    tariff = _tariff_at_start(connector)
    reference = data.get("authorization_reference") or ""
    auth_method = data.get("auth_method") or (AuthMethod.AUTH_REQUEST if reference else AuthMethod.WHITELIST)
    location = connector.evse.location
    session = ChargingSession(
        country_code=settings.OCPI_COUNTRY_CODE,
        party_id=settings.OCPI_PARTY_ID,
        session_id=str(uuid4()),
        start_date_time=start,
        cdr_token=cdr_token,
        auth_method=auth_method,
        authorization_reference=reference,
        location_id=location.location_id,
        evse_uid=connector.evse.uid,
        connector_id=connector.connector_id,
        meter_id=data.get("meter_id") or "",
        currency=(tariff or {}).get("currency") or settings.SESSIONS_DEFAULT_CURRENCY,
        status=data.get("status") or SessionStatus.ACTIVE,
        status_changed_at=start,
        last_updated=_now(),
        token_uid=cdr_token["uid"],
        token_type=cdr_token["type"],
        contract_id=cdr_token["contract_id"],
        emsp_country_code=cdr_token["country_code"],
        emsp_party_id=cdr_token["party_id"],
        own_location=location,
        own_evse=connector.evse,
        own_connector=connector,
        csms_transaction_id=transaction_id,
        emsp_partner_id=_emsp_partner_id(cdr_token),
        meter_start_wh=data["meter_start"],
        tariff=tariff,
    )
    _reprice(session)
    try:
        with transaction.atomic():
            session_push_put(session=session)
            session.save()
    except IntegrityError:  # the same start, twice at once: the other one won
        return CsmsResult(session_get_own(transaction_id=transaction_id), Outcome.IGNORED, "already started")
    return CsmsResult(session, Outcome.CREATED)


def session_meter_values_from_csms(*, transaction_id: str, readings: list[dict]) -> CsmsResult:
    """Cumulative meter readings (``timestamp``, ``energy_wh``, optional ``power_w``/``current_a``).

    A reading at or before the latest one we hold (a duplicate, or one overtaken by a later one) is ignored; energy
    below an earlier reading's is refused (``energy_wh``), and then nothing of the call is kept.

    On PostgreSQL the common case (a PATCH of this session is waiting for the interval, so the update merges into
    it) is written without a transaction of its own: the session is read unlocked, and one statement checks that
    the row is still the one read, merges the PATCH and updates the session (``session_push_meter_update``).
    Anything else (the session changed meanwhile, the first update of an interval, a PUT owed, a reading refused)
    takes the locked path, which decides as before."""
    if connection.vendor == "postgresql":
        result = _meter_values_unlocked(transaction_id, readings)
        if result is not None:
            return result
    with transaction.atomic():
        session = _locked(transaction_id)
        if session.status in FINAL_STATUSES:
            return CsmsResult(session, Outcome.IGNORED, f"session is {session.status}")
        if not _append_readings(session, readings):
            return CsmsResult(session, Outcome.IGNORED, "no reading newer than the last one")
        _reprice(session)
        session.last_updated = _now()
        session_push_change(session=session, urgent=False)
        session.save(update_fields=LIVE_FIELDS)
    return CsmsResult(session, Outcome.UPDATED)


def _meter_values_unlocked(transaction_id: str, readings: list[dict]) -> CsmsResult | None:
    """The merge case of a meter update in one statement (see ``session_meter_values_from_csms``); None when the
    locked path must decide. An outcome found on the unlocked row holds for the current one: a final status stays
    final, and a reading ignored as not newer than the last one stays so (readings only move forward)."""
    session = fetch_instance(ChargingSession, _unlocked_sql(), [transaction_id])
    if session is None:
        raise ObjectNotFound(f"No session with transaction id '{transaction_id}'.")
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
