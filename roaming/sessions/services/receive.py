"""Sessions of our eMSP's drivers, as CPO partners send them (mod_sessions.asciidoc, Receiver Interface) or we
pull them (Sender GET list), on the partner-object kit (``roaming.ocpi.kit``).

* PUT creates or replaces (``charging_periods`` replaced wholesale); PATCH changes the fields it carries and
  **appends** its ``charging_periods``; a copy older than the one we hold (``last_updated``, the owner's clock) is
  acknowledged and ignored, so a late push or an overlapping pull never rolls a session back.
* A session for a token that is not one of ours is **kept** and flagged for ops (``token_known``): the driver is
  already charging, refusing the data helps nobody.
* The payload is kept as sent (``raw``) next to what we stored.
"""

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.core.sql import insert_instance, update_instance
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.kit.receive import (
    Key,
    ReceiveResult,
    WriteOutcome,
    check_partner_party,
    ingest_page,
    is_stale,
    lock_objects,
    object_key,
    read_versioned,
    refuse_own,
    storable,
    versioned_writes,
)
from roaming.sessions.models import ChargingSession
from roaming.sessions.ocpi.serializers import validate_session
from roaming.tokens.selectors import token_get_own

OWNER_ROLE = "CPO"


def _price_fields(price: Mapping | None) -> dict:
    price = price or {}
    return {"total_cost_excl_vat": price.get("excl_vat"), "total_cost_incl_vat": price.get("incl_vat")}


def _token_fields(cdr_token: Mapping) -> dict:
    ours = (cdr_token["country_code"], cdr_token["party_id"]) == (settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID)
    known = ours and token_get_own(uid=cdr_token["uid"], type=cdr_token["type"]) is not None
    return {
        "cdr_token": dict(cdr_token),
        "token_uid": cdr_token["uid"],
        "token_type": cdr_token["type"],
        "contract_id": cdr_token["contract_id"],
        "emsp_country_code": cdr_token["country_code"],
        "emsp_party_id": cdr_token["party_id"],
        "token_known": known,
    }


_SCALARS = (
    "start_date_time",
    "end_date_time",
    "kwh",
    "auth_method",
    "authorization_reference",
    "location_id",
    "evse_uid",
    "connector_id",
    "meter_id",
    "currency",
    "status",
    "last_updated",
)
_BLANK_WHEN_ABSENT = {"authorization_reference", "meter_id"}


def _fields(data: Mapping, *, partial: bool) -> dict:
    fields = {}
    for name in _SCALARS:
        if name in data:
            fields[name] = data[name]
        elif not partial:
            fields[name] = "" if name in _BLANK_WHEN_ABSENT else None
    if "cdr_token" in data:
        fields.update(_token_fields(data["cdr_token"]))
    if "total_cost" in data or not partial:
        fields.update(_price_fields(data.get("total_cost")))
    if not partial:
        fields["charging_periods"] = list(data.get("charging_periods") or [])
    return fields


def _lock(keys: Iterable[Key]) -> dict:
    return lock_objects(ChargingSession.objects.all(), keys, id_field="session_id")


def _stamp(partner_id: int, raw) -> dict:
    return {"source_partner_id": partner_id, "received_at": timezone.now(), "raw": storable(raw)}


def session_put_from_partner(
    *, partner_id: int, country_code: str, party_id: str, session_id: str, data: Mapping, raw=None
) -> ReceiveResult:
    """Store a Session a CPO partner PUT (mod_sessions.asciidoc, PUT Method). ``data`` is validated
    (``validate_session``).

    A new session (most PUTs: one per charge) is inserted in one statement, no transaction, if no row holds its
    key (``insert_instance(if_absent=True)``); a session we hold takes the locked path: refused if it is ours,
    ignored if older than ours, else replaced."""
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    fields = {**_fields(data, partial=False), **_stamp(partner_id, raw)}
    new = ChargingSession(country_code=country_code.upper(), party_id=party_id.upper(), session_id=session_id, **fields)
    if insert_instance(new, if_absent=True) is not None:
        return ReceiveResult(WriteOutcome.CREATED, new)
    key = object_key(country_code, party_id, session_id)
    with transaction.atomic():
        current = _lock([key]).get(key)
        refuse_own(current, what="Session")
        if is_stale(current, data):
            return ReceiveResult(WriteOutcome.STALE, current)
        if current is None:  # off PostgreSQL, or the session was deleted since the insert found it
            try:
                with transaction.atomic():  # savepoint: a concurrent PUT may create the same session first
                    return ReceiveResult(WriteOutcome.CREATED, insert_instance(new))
            except IntegrityError:
                current = _lock([key]).get(key)
                if current is None:
                    raise
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        return ReceiveResult(WriteOutcome.UPDATED, current)


#: what a PATCH reads of the session it changes: the staleness check, and the periods it appends to
_PATCH_READS = ("last_updated", "charging_periods")


def session_patch_from_partner(
    *, partner_id: int, country_code: str, party_id: str, session_id: str, data: Mapping, raw=None
) -> ReceiveResult:
    """Apply a Session PATCH: the fields it carries replace ours, its ``charging_periods`` are appended
    (mod_sessions.asciidoc, PATCH Method). Raises ``ObjectNotFound`` for a session we do not hold (the CPO then
    PUTs it, as transport_and_format.asciidoc advises).

    A running session gets one every minute or so: on PostgreSQL it is read unlocked and written in one statement
    that applies only if the row is still the version read (no transaction: two statements in all); a session
    written meanwhile takes the locked path."""
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    fields = _fields(data, partial=True)
    key = object_key(country_code, party_id, session_id)
    if versioned_writes():
        session = read_versioned(ChargingSession, key, id_field="session_id", fields=_PATCH_READS)
        if session is None:
            raise ObjectNotFound(f"Unknown session {country_code}/{party_id}/{session_id}")
        result = _patch(session, data, fields, partner_id, raw, row_version=session.row_version)
        if result is not None:
            return result
    with transaction.atomic():
        session = _lock([key]).get(key)
        if session is None:
            raise ObjectNotFound(f"Unknown session {country_code}/{party_id}/{session_id}")
        return _patch(session, data, fields, partner_id, raw)


def _patch(
    session: ChargingSession, data: Mapping, fields: dict, partner_id: int, raw, *, row_version: str | None = None
) -> ReceiveResult | None:
    """The PATCH on ``session`` (locked, or read at ``row_version``); None when the row was no longer that version
    and nothing was written. A refusal or a stale copy found on an older version holds for the current one: a
    session's owner never changes, and ``last_updated`` never goes back."""
    refuse_own(session, what="Session")
    if is_stale(session, data):
        return ReceiveResult(WriteOutcome.STALE, session)
    changed = {**fields, **_stamp(partner_id, raw)}
    for name, value in changed.items():
        setattr(session, name, value)
    if data.get("charging_periods"):
        session.charging_periods = append_periods(session.charging_periods or [], data["charging_periods"])
        changed["charging_periods"] = session.charging_periods
    # Only what the PATCH changed: a running session gets one every minute, and its wide row (the PUT's payload, the
    # cdr_token...) need not be rewritten each time.
    if not update_instance(session, [*changed, "updated_at"], row_version=row_version):
        return None
    return ReceiveResult(WriteOutcome.UPDATED, session)


def append_periods(held: list[dict], new: list[dict]) -> list[dict]:
    """PATCH appends ``charging_periods`` (mod_sessions.asciidoc, PATCH Method). Two periods cannot start at the
    same instant, so a period whose ``start_date_time`` we already hold replaces it instead: a PATCH delivered twice
    (a retry after a lost answer) adds nothing, and a CPO that re-sends its running period updates it."""
    periods = list(held)
    index = {period.get("start_date_time"): n for n, period in enumerate(periods)}
    for period in new:
        start = period.get("start_date_time")
        if start in index:
            periods[index[start]] = period
        else:
            index[start] = len(periods)
            periods.append(period)
    return periods


def _validate_for_ingest(obj) -> dict:
    try:
        return validate_session(obj)
    except DrfValidationError as exc:
        raise InvalidInput("; ".join(flatten_errors(exc.detail))) from exc


def sessions_ingest_page(*, partner_id: int, objects: list) -> dict:
    """The pull engine's ingest callback: one page of a CPO's Sessions (Sender GET list) on the kit's rules (one
    bad session reported and skipped, stale ones ignored, our own refused)."""

    def write(items: list) -> None:
        for data, raw, current in items:
            fields = {**_fields(data, partial=False), **_stamp(partner_id, raw)}
            if current is None:
                ChargingSession.objects.create(
                    country_code=data["country_code"], party_id=data["party_id"], session_id=data["id"], **fields
                )
                continue
            for name, value in fields.items():
                setattr(current, name, value)
            current.save()

    return ingest_page(
        partner_id=partner_id,
        objects=objects,
        role=OWNER_ROLE,
        validate=_validate_for_ingest,
        lock=_lock,
        write=write,
        label="sessions",
    )
