"""Our CPO receiving commands (mod_commands.asciidoc, Receiver interface).

``command_receive`` checks what an eMSP asks against our own locations (unknown location: 2003 with a REJECTED
CommandResponse, as the spec's "UNLOCK_CONNECTOR Unknown Location" flow shows; an EVSE without the capability:
NOT_SUPPORTED; a session or reservation that is not the caller's: UNKNOWN_SESSION / REJECTED), records the command
and answers the CommandResponse with ``COMMANDS_TIMEOUT_SECONDS``. An accepted command is handed to the CSMS by a
task after commit (``command_dispatch``). The token of a START_SESSION or RESERVE_NOW is not authorized again: the
eMSP did (mod_commands.asciidoc, StartSession/ReserveNow: "the CPO SHALL NOT check the validity of the Token").

The result comes from the CSMS (``command_result_from_csms``), or the command times out (``commands_expire_cpo``);
either way the CommandResult is POSTed to the eMSP's ``response_url`` through the outbox (retried, never lost). A
reservation the CPO has to cancel posts CANCELED_RESERVATION to the RESERVE_NOW's ``response_url``
(``reservation_cancel_by_cpo``).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from roaming.commands.adapters import CsmsCommand, CsmsUnreachable, csms_adapter
from roaming.commands.choices import (
    CommandResponseType,
    CommandResultType,
    CommandRole,
    CommandStatus,
    CommandType,
)
from roaming.commands.models import Command
from roaming.commands.services.common import MODULE, display_text, now
from roaming.core.exceptions import InvalidInput, ObjectNotFound, StateConflict
from roaming.locations.choices import Capability
from roaming.locations.models import EVSE, Location
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.push import push_enqueue_to_url
from roaming.ocpi.queueing import publish, publish_on_commit
from roaming.sessions.choices import FINAL_STATUSES, SessionStatus
from roaming.sessions.models import ChargingSession

logger = logging.getLogger("roaming.commands")

#: the CommandResponse a refusal answers with, and the OCPI status_code of the envelope
UNKNOWN_LOCATION_STATUS = 2003


@dataclass
class CommandAnswer:
    """The CommandResponse to answer (and the envelope's ``status_code``: 1000, or 2003 for an unknown location)."""

    result: str
    message: str = ""
    command: Command | None = None
    status_code: int = 1000

    def to_ocpi(self) -> dict:
        body = {"result": self.result, "timeout": settings.COMMANDS_TIMEOUT_SECONDS}
        if self.message:
            body["message"] = display_text(self.message)
        return body


class Refusal(Exception):
    def __init__(self, result: str, message: str, status_code: int = 1000):
        super().__init__(message)
        self.result, self.message, self.status_code = result, message, status_code


def _own_location(location_id: str) -> Location:
    location = Location.objects.filter(
        source_partner__isnull=True, publish=True, location_id__iexact=location_id
    ).first()
    if location is None:
        raise Refusal(
            CommandResponseType.REJECTED, f"location_id: no location '{location_id}'", UNKNOWN_LOCATION_STATUS
        )
    return location


def _evse(location: Location, evse_uid: str) -> EVSE:
    evse = EVSE.objects.filter(location=location, uid__iexact=evse_uid).exclude(status="REMOVED").first()
    if evse is None:
        message = f"evse_uid: location {location.location_id} has no EVSE '{evse_uid}'"
        raise Refusal(CommandResponseType.REJECTED, message)
    return evse


def _capable(evse: EVSE, capability: str) -> bool:
    return capability in (evse.capabilities or [])


def _pick_evse(location: Location, evse_uid: str, capability: str, what: str) -> EVSE:
    """The EVSE asked for, or (none given) the first of the location that can do it; NOT_SUPPORTED otherwise."""
    if evse_uid:
        evse = _evse(location, evse_uid)
        if not _capable(evse, capability):
            raise Refusal(CommandResponseType.NOT_SUPPORTED, f"EVSE {evse.uid} cannot {what} ({capability} not set)")
        return evse
    candidates = [e for e in location.evses.exclude(status="REMOVED").order_by("pk") if _capable(e, capability)]
    if not candidates:
        raise Refusal(CommandResponseType.NOT_SUPPORTED, f"no EVSE of location {location.location_id} can {what}")
    available = [e for e in candidates if e.status == "AVAILABLE"]
    return (available or candidates)[0]


def _connector(evse: EVSE, connector_id: str):
    connector = evse.connectors.filter(connector_id__iexact=connector_id).first()
    if connector is None:
        raise Refusal(CommandResponseType.REJECTED, f"connector_id: EVSE {evse.uid} has no connector '{connector_id}'")
    return connector


def _token_columns(token: dict) -> dict:
    return {
        "token_uid": token["uid"],
        "token_type": token["type"],
        "contract_id": token.get("contract_id") or "",
    }


def _check(partner_id: int, emsp_parties: set, command_type: str, data: dict) -> dict:
    """Validate the command against our data; return the Command fields it fills, or raise ``Refusal``."""
    fields: dict = {}
    if command_type in (CommandType.START_SESSION, CommandType.RESERVE_NOW, CommandType.UNLOCK_CONNECTOR):
        location = _own_location(data["location_id"])
        fields["location_id"] = location.location_id
    if command_type in (CommandType.START_SESSION, CommandType.RESERVE_NOW):
        owner = (data["token"]["country_code"], data["token"]["party_id"])
        if owner not in emsp_parties:
            # mod_commands.asciidoc, StartSession/ReserveNow: "using Tokens of other eMSPs is not allowed"
            raise Refusal(CommandResponseType.REJECTED, f"token: {owner[0]}/{owner[1]} is not one of your eMSP roles")
    if command_type == CommandType.START_SESSION:
        evse = _pick_evse(location, data.get("evse_uid") or "", Capability.REMOTE_START_STOP_CAPABLE, "start remotely")
        connector_id = data.get("connector_id") or ""
        if not connector_id and _capable(evse, Capability.START_SESSION_CONNECTOR_REQUIRED):
            raise InvalidInput(f"required at EVSE {evse.uid} (START_SESSION_CONNECTOR_REQUIRED)", field="connector_id")
        if connector_id:
            connector_id = _connector(evse, connector_id).connector_id
        else:
            only = list(evse.connectors.values_list("connector_id", flat=True)[:2])
            connector_id = only[0] if len(only) == 1 else ""  # several: the charger picks the one plugged in
        fields.update(evse_uid=evse.uid, connector_id=connector_id, **_token_columns(data["token"]))
        fields["authorization_reference"] = data.get("authorization_reference") or ""
    elif command_type == CommandType.RESERVE_NOW:
        if data["expiry_date"] <= now():
            raise InvalidInput("the reservation would end before it starts", field="expiry_date")
        evse = _pick_evse(location, data.get("evse_uid") or "", Capability.RESERVABLE, "be reserved")
        fields.update(evse_uid=evse.uid, reservation_id=data["reservation_id"], **_token_columns(data["token"]))
        fields["authorization_reference"] = data.get("authorization_reference") or ""
    elif command_type == CommandType.UNLOCK_CONNECTOR:
        evse = _evse(location, data["evse_uid"])
        connector = _connector(evse, data["connector_id"])
        if not _capable(evse, Capability.UNLOCK_CAPABLE):
            raise Refusal(CommandResponseType.NOT_SUPPORTED, f"EVSE {evse.uid} cannot unlock its connectors remotely")
        fields.update(evse_uid=evse.uid, connector_id=connector.connector_id)
    elif command_type == CommandType.STOP_SESSION:
        session = ChargingSession.objects.filter(
            source_partner__isnull=True, session_id__iexact=data["session_id"]
        ).first()
        if session is None:
            raise Refusal(CommandResponseType.UNKNOWN_SESSION, f"session_id: no session '{data['session_id']}'")
        if (session.emsp_country_code, session.emsp_party_id) not in emsp_parties:
            # mod_commands.asciidoc, CommandResponseType REJECTED: "Session might not be from a customer of the eMSP"
            raise Refusal(CommandResponseType.REJECTED, "session_id: this session is not one of your drivers'")
        if session.status in FINAL_STATUSES:
            raise Refusal(CommandResponseType.REJECTED, f"session_id: the session is already {session.status}")
        fields.update(
            charging_session=session,
            session_id=session.session_id,
            location_id=session.location_id,
            evse_uid=session.evse_uid,
            connector_id=session.connector_id,
        )
    elif command_type == CommandType.CANCEL_RESERVATION:
        reservation = reservation_get(partner_id=partner_id, reservation_id=data["reservation_id"])
        if reservation is None:
            raise Refusal(CommandResponseType.REJECTED, f"reservation_id: no reservation '{data['reservation_id']}'")
        fields.update(
            reservation_id=reservation.reservation_id,
            location_id=reservation.location_id,
            evse_uid=reservation.evse_uid,
            charging_session=reservation.charging_session,
        )
    return fields


def reservation_get(*, partner_id: int, reservation_id: str) -> Command | None:
    """The partner's live reservation ``reservation_id``: its latest RESERVE_NOW the charger accepted, whose
    reservation session is still RESERVATION (the spec lets a Sender replace a reservation by its id)."""
    return (
        Command.objects.filter(
            role=CommandRole.CPO,
            partner_id=partner_id,
            type=CommandType.RESERVE_NOW,
            reservation_id__iexact=reservation_id,
            result=CommandResultType.ACCEPTED,
            charging_session__status=SessionStatus.RESERVATION,
        )
        .select_related("charging_session")
        .order_by("-pk")
        .first()
    )


def command_receive(
    *, partner_id: int, emsp_parties: set, command_type: str, data: dict, raw: dict | None = None
) -> CommandAnswer:
    """An eMSP partner's validated command object ``data`` for ``command_type``: answer its CommandResponse.
    ``emsp_parties``: the caller's eMSP (country_code, party_id) pairs, whose drivers' sessions it may stop.

    Refusals the spec names (unknown location, session, capability) are recorded with their answer; a body that
    is invalid for our data (``InvalidInput``: 2001) is not recorded."""
    received = now()
    try:
        fields = _check(partner_id, emsp_parties, command_type, data)
        answer = CommandAnswer(CommandResponseType.ACCEPTED)
        if not csms_adapter().supports(command_type):
            answer = CommandAnswer(CommandResponseType.NOT_SUPPORTED, "our charge points cannot do this remotely")
    except Refusal as refusal:
        fields = {"location_id": (data.get("location_id") or "")[:36], "evse_uid": (data.get("evse_uid") or "")[:36]}
        answer = CommandAnswer(refusal.result, refusal.message, status_code=refusal.status_code)
    accepted = answer.result == CommandResponseType.ACCEPTED
    timeout = settings.COMMANDS_TIMEOUT_SECONDS
    with transaction.atomic():
        command = Command.objects.create(
            role=CommandRole.CPO,
            type=command_type,
            partner_id=partner_id,
            status=CommandStatus.WAITING if accepted else CommandStatus.REFUSED,
            request=raw if isinstance(raw, dict) else _jsonable(data),
            response_url=data["response_url"],
            response_result=answer.result,
            response_timeout=timeout,
            response_message=display_text(answer.message),
            ocpi_status=answer.status_code,
            sent_at=received,
            responded_at=now(),
            deadline=received + dt.timedelta(seconds=timeout) if accepted else None,
            **fields,
        )
        if accepted:
            from roaming.commands.tasks import command_dispatch_task, command_expire_task

            publish_on_commit(command_dispatch_task, (command.pk,))
            transaction.on_commit(lambda: publish(command_expire_task, (command.pk,), countdown=timeout + 1))
    answer.command = command
    logger.info("command %s %s from partner %s: %s", command.uid, command_type, partner_id, answer.result)
    return answer


def _jsonable(data: dict) -> dict:
    return {k: format_datetime(v) if isinstance(v, dt.datetime) else v for k, v in data.items()}


def result_url(command: Command) -> str:
    return f"{settings.OCPI_BASE_URL}{reverse('commands-api:result', args=[command.uid])}"


def csms_command(command: Command) -> CsmsCommand:
    """The command in the CSMS's terms: its charger id, its transaction id, our unique reservation id."""
    charger_id = ""
    if command.evse_uid:
        charger_id = (
            EVSE.objects.filter(
                location__source_partner__isnull=True,
                location__location_id__iexact=command.location_id,
                uid__iexact=command.evse_uid,
            )
            .values_list("internal_id", flat=True)
            .first()
            or ""
        )
    reservation_id = ""
    if command.type == CommandType.RESERVE_NOW:
        reservation_id = str(command.uid)
    elif command.type == CommandType.CANCEL_RESERVATION:
        reserved = reservation_get(partner_id=command.partner_id, reservation_id=command.reservation_id)
        reservation_id = str(reserved.uid) if reserved else ""
    session = command.charging_session
    return CsmsCommand(
        id=str(command.uid),
        command=command.type,
        timeout=command.response_timeout or settings.COMMANDS_TIMEOUT_SECONDS,
        result_url=result_url(command),
        location_id=command.location_id,
        evse_uid=command.evse_uid,
        connector_id=command.connector_id,
        charger_id=charger_id or "",
        token=command.request.get("token"),
        authorization_reference=command.authorization_reference,
        reservation_id=reservation_id,
        expiry_date=command.request.get("expiry_date") or "",
        transaction_id=(session.csms_transaction_id or "") if session else "",
        session_id=command.session_id,
    )


def command_dispatch(*, command_id: int, last_attempt: bool) -> str:
    """Hand an accepted command to the CSMS (the adapter, outside any transaction). When the CSMS cannot be
    reached on the last attempt, the eMSP gets FAILED."""
    command = Command.objects.select_related("charging_session").filter(pk=command_id, role=CommandRole.CPO).first()
    if command is None or command.status != CommandStatus.WAITING:
        return "nothing to do"
    try:
        csms_adapter().send(csms_command(command))
    except CsmsUnreachable as exc:
        if not last_attempt:
            raise
        command_result_from_csms(command_uid=command.uid, result=CommandResultType.FAILED, message=str(exc))
        return f"failed: {exc}"
    return "handed over"


def _post_result(command: Command, result: str, message: list) -> None:
    body = {"result": result}
    if message:
        body["message"] = message
    push_enqueue_to_url(
        partner_id=command.partner_id,
        module=MODULE,
        object_key=f"command/{command.uid}",
        url=command.response_url,
        body=body,
    )


def command_result_from_csms(
    *, command_uid, result: str, message: str = "", session: ChargingSession | None = None
) -> Command:
    """The CSMS's CommandResult for a command we received: recorded and POSTed to the eMSP's ``response_url``.

    A repeated identical result changes nothing. A result after the TIMEOUT we already sent is recorded and sent
    too (the eMSP records late results). CANCELED_RESERVATION is accepted on a RESERVE_NOW whose reservation the
    charger had accepted (the CPO cancelling it)."""
    with transaction.atomic():
        command = Command.objects.select_for_update().filter(uid=command_uid, role=CommandRole.CPO).first()
        if command is None:
            raise ObjectNotFound(f"No command with id '{command_uid}'.")
        if command.status == CommandStatus.REFUSED:
            raise StateConflict(f"command {command.uid} was refused ({command.response_result}): it has no result")
        if result == CommandResultType.CANCELED_RESERVATION:
            if command.type != CommandType.RESERVE_NOW or command.result != CommandResultType.ACCEPTED:
                raise InvalidInput("CANCELED_RESERVATION is for a RESERVE_NOW the charger accepted", field="result")
        elif command.result and command.status == CommandStatus.DONE:
            if command.result == result:
                return command
            raise StateConflict(f"command {command.uid} already has the result {command.result}")
        text = display_text(message)
        command.late_result = command.status == CommandStatus.TIMED_OUT
        command.result, command.result_message, command.result_at = result, text, now()
        command.status = CommandStatus.DONE
        if session is not None:
            command.charging_session = session
        command.save()
        _post_result(command, result, text)
    return command


def commands_expire_cpo(*, command_id: int | None = None) -> int:
    """Commands whose CSMS did not answer by their deadline: TIMEOUT, POSTed to the eMSP. Returns how many."""
    overdue = Command.objects.filter(role=CommandRole.CPO, status=CommandStatus.WAITING, deadline__lte=now())
    if command_id is not None:
        overdue = overdue.filter(pk=command_id)
    count = 0
    for pk in overdue.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            command = Command.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if command is None or command.status != CommandStatus.WAITING:
                continue
            text = display_text("the charge point did not answer in time")
            command.status, command.result, command.result_message = CommandStatus.TIMED_OUT, "TIMEOUT", text
            command.timed_out_at = command.result_at = now()
            command.save()
            _post_result(command, CommandResultType.TIMEOUT, text)
            count += 1
    return count


def reservation_cancel_by_cpo(*, command: Command, reason: str = "") -> Command:
    """The CPO cancels a reservation it accepted (a defect charger, road works): the reservation session becomes
    INVALID (never billed) and CANCELED_RESERVATION is POSTed to the RESERVE_NOW's ``response_url``
    (mod_commands.asciidoc, "Reservation canceled by the CPO")."""
    from roaming.sessions.services.csms import session_status_from_csms

    if command.type != CommandType.RESERVE_NOW or command.role != CommandRole.CPO:
        raise InvalidInput("only a reservation our CPO accepted can be cancelled here", field="command")
    session = command.charging_session
    if command.result != CommandResultType.ACCEPTED or session is None or session.status != SessionStatus.RESERVATION:
        raise StateConflict("this reservation is not active")
    with transaction.atomic():
        if session.csms_transaction_id:
            session_status_from_csms(transaction_id=session.csms_transaction_id, status=SessionStatus.INVALID)
        return command_result_from_csms(
            command_uid=command.uid,
            result=CommandResultType.CANCELED_RESERVATION,
            message=reason or "The reservation was cancelled by the charge point operator.",
        )
