"""The simulator adapter: plays our CSMS and its chargers for demos and tests
(``COMMANDS_CSMS_ADAPTER=roaming.commands.simulator.SimulatorCsmsAdapter``).

After ``COMMANDS_SIMULATOR_DELAY_SECONDS`` the "charger" answers, as an OCPP charger would:

* START_SESSION: EVSE_OCCUPIED if one of our sessions is live at the EVSE, else ACCEPTED and a session starts
  through the CSMS session services (so it is priced, PUT to the eMSP, metered at ``COMMANDS_SIMULATOR_POWER_W``
  every ``COMMANDS_SIMULATOR_METER_INTERVAL_SECONDS``, and gets its CDR when stopped);
* STOP_SESSION: the session stops with the energy metered so far: ACCEPTED;
* RESERVE_NOW: EVSE_OCCUPIED or ACCEPTED with a session in status RESERVATION (the same ``reservation_id`` again
  replaces the reservation; unused at ``expiry_date``, it becomes INVALID); a START_SESSION of the same token at
  that EVSE turns the reservation ACTIVE;
* CANCEL_RESERVATION: the reservation session becomes INVALID (not billed): ACCEPTED, or UNKNOWN_RESERVATION;
* UNLOCK_CONNECTOR: ACCEPTED;
* an EVSE OUTOFORDER or INOPERATIVE: EVSE_INOPERATIVE.

Chargers listed in ``COMMANDS_SIMULATOR_OFFLINE_CHARGERS`` (CSMS ids) never answer, so the command times out.
"""

import logging
import math

from django.conf import settings
from django.utils import timezone

from roaming.commands.adapters import CsmsCommand
from roaming.commands.choices import CommandResultType, CommandType
from roaming.commands.models import Command
from roaming.commands.services.cpo import command_result_from_csms, csms_command, reservation_get
from roaming.ocpi.datetimes import parse_datetime
from roaming.ocpi.queueing import publish
from roaming.sessions.choices import FINAL_STATUSES, SessionStatus
from roaming.sessions.models import ChargingSession
from roaming.sessions.services import csms

logger = logging.getLogger("roaming.commands.simulator")


class SimulatorCsmsAdapter:
    """Accepts every command type; the charger's answer comes from a task after the configured delay."""

    def supports(self, command: str) -> bool:
        return True

    def send(self, command: CsmsCommand) -> None:
        from roaming.commands.tasks import command_simulate_task

        pk = Command.objects.filter(uid=command.id).values_list("pk", flat=True).first()
        publish(command_simulate_task, (pk,), countdown=settings.COMMANDS_SIMULATOR_DELAY_SECONDS or None)


def _energy_wh(session: ChargingSession, at) -> int:
    hours = max(0.0, (at - session.start_date_time).total_seconds()) / 3600
    return (session.meter_start_wh or 0) + math.floor(settings.COMMANDS_SIMULATOR_POWER_W * hours)


def _live_at(evse_uid: str) -> bool:
    return (
        ChargingSession.objects.filter(source_partner__isnull=True, evse_uid__iexact=evse_uid)
        .exclude(status__in=FINAL_STATUSES)
        .exists()
    )


def _reserved_for(command: Command) -> ChargingSession | None:
    """A reservation at the EVSE for the command's token: a START_SESSION there uses it."""
    return (
        ChargingSession.objects.filter(
            source_partner__isnull=True,
            evse_uid__iexact=command.evse_uid,
            status=SessionStatus.RESERVATION,
            token_uid=command.token_uid,
        )
        .order_by("-pk")
        .first()
    )


def _start(command: Command, request: CsmsCommand, status: str) -> tuple[str, ChargingSession | None]:
    if status == SessionStatus.RESERVATION:
        # mod_commands.asciidoc, ReserveNow: the same reservation_id again replaces the reservation.
        previous = reservation_get(partner_id=command.partner_id, reservation_id=command.reservation_id)
        if previous is not None and previous.charging_session and previous.pk != command.pk:
            session = previous.charging_session
            csms.session_status_from_csms(transaction_id=session.csms_transaction_id, status=SessionStatus.INVALID)
    else:
        reserved = _reserved_for(command)
        if reserved is not None:  # the driver's reservation becomes the session
            csms.session_status_from_csms(transaction_id=reserved.csms_transaction_id, status=SessionStatus.ACTIVE)
            reserved.refresh_from_db()
            return CommandResultType.ACCEPTED, reserved
    if _live_at(command.evse_uid):
        return CommandResultType.EVSE_OCCUPIED, None
    token = request.token or {}
    kind = "RES" if status == SessionStatus.RESERVATION else "TX"
    data = {
        "token_uid": token.get("uid", command.token_uid),
        "token_type": token.get("type", command.token_type),
        "country_code": token.get("country_code", ""),
        "party_id": token.get("party_id", ""),
        "contract_id": token.get("contract_id", command.contract_id),
        "evse_uid": command.evse_uid,
        "connector_id": command.connector_id or _first_connector(request),
        "start_date_time": timezone.now().replace(microsecond=0),
        "meter_start": 0,
        "authorization_reference": command.authorization_reference,
        "auth_method": "COMMAND",
        "status": status,
    }
    started = csms.session_start_from_csms(transaction_id=f"SIM-{kind}-{command.uid.hex[:20]}", data=data)
    return CommandResultType.ACCEPTED, started.session


def _first_connector(request: CsmsCommand) -> str:
    from roaming.locations.models import Connector

    return (
        Connector.objects.filter(evse__location__source_partner__isnull=True, evse__uid__iexact=request.evse_uid)
        .order_by("pk")
        .values_list("connector_id", flat=True)
        .first()
        or "1"
    )


def simulate(*, command_id: int) -> str:
    """Play the charger for one command and report its result like a CSMS would."""
    command = Command.objects.select_related("charging_session").filter(pk=command_id).first()
    if command is None or command.result:
        return "nothing to do"
    request = csms_command(command)
    if request.charger_id and request.charger_id in settings.COMMANDS_SIMULATOR_OFFLINE_CHARGERS:
        logger.info("simulated charger %s is offline: command %s gets no answer", request.charger_id, command.uid)
        return "offline"
    session = None
    from roaming.locations.models import EVSE

    evse = EVSE.objects.filter(location__source_partner__isnull=True, uid__iexact=command.evse_uid).first()
    if evse is not None and evse.status in ("OUTOFORDER", "INOPERATIVE") and command.type != CommandType.STOP_SESSION:
        result = CommandResultType.EVSE_INOPERATIVE
    elif command.type == CommandType.START_SESSION:
        result, session = _start(command, request, SessionStatus.ACTIVE)
    elif command.type == CommandType.RESERVE_NOW:
        result, session = _start(command, request, SessionStatus.RESERVATION)
    elif command.type == CommandType.STOP_SESSION:
        session = command.charging_session
        if session is None or session.status in FINAL_STATUSES or not session.csms_transaction_id:
            result = CommandResultType.REJECTED
        else:
            at = timezone.now().replace(microsecond=0)
            csms.session_stop_from_csms(
                transaction_id=session.csms_transaction_id, end_date_time=at, meter_stop=_energy_wh(session, at)
            )
            result = CommandResultType.ACCEPTED
    elif command.type == CommandType.CANCEL_RESERVATION:
        reservation = reservation_get(partner_id=command.partner_id, reservation_id=command.reservation_id)
        if reservation is None or reservation.charging_session is None:
            result = CommandResultType.UNKNOWN_RESERVATION
        else:
            session = reservation.charging_session
            csms.session_status_from_csms(transaction_id=session.csms_transaction_id, status=SessionStatus.INVALID)
            result = CommandResultType.ACCEPTED
    else:
        result = CommandResultType.ACCEPTED
    command_result_from_csms(command_uid=command.uid, result=result, session=session)
    if command.type == CommandType.START_SESSION and session is not None:
        _schedule_meter(session.csms_transaction_id)
    if command.type == CommandType.RESERVE_NOW and session is not None:
        _schedule_expiry(command)
    return result


def _schedule_expiry(command: Command) -> None:
    from roaming.commands.tasks import command_simulate_expiry_task

    if command_simulate_expiry_task.app.conf.task_always_eager:
        return  # in-process mode would expire it at once; the beat-less demo keeps the reservation
    delay = max(0.0, (parse_datetime(command.request["expiry_date"]) - timezone.now()).total_seconds())
    publish(command_simulate_expiry_task, (command.pk,), countdown=delay)


def reservation_expire(*, command_id: int) -> str:
    """The charger ends a reservation nobody used by its ``expiry_date``: the session becomes INVALID."""
    command = Command.objects.select_related("charging_session").filter(pk=command_id).first()
    session = command.charging_session if command else None
    if session is None or session.status != SessionStatus.RESERVATION:
        return "nothing to do"
    if parse_datetime(command.request["expiry_date"]) > timezone.now():
        return "not yet"
    csms.session_status_from_csms(transaction_id=session.csms_transaction_id, status=SessionStatus.INVALID)
    return "expired"


def _schedule_meter(transaction_id: str) -> None:
    from roaming.commands.tasks import command_simulate_meter_task

    if command_simulate_meter_task.app.conf.task_always_eager:
        return  # in-process mode would run the whole chain of readings at once; the stop meters the energy anyway
    interval = settings.COMMANDS_SIMULATOR_METER_INTERVAL_SECONDS
    publish(command_simulate_meter_task, (transaction_id,), countdown=interval)


def meter_tick(*, transaction_id: str) -> str:
    """One meter reading of a session the simulator started; the next one is scheduled while it is live."""
    session = ChargingSession.objects.filter(csms_transaction_id=transaction_id, source_partner__isnull=True).first()
    if session is None or session.status in FINAL_STATUSES:
        return "stopped"
    at = timezone.now().replace(microsecond=0)
    reading = {"timestamp": at, "energy_wh": _energy_wh(session, at), "power_w": settings.COMMANDS_SIMULATOR_POWER_W}
    csms.session_meter_values_from_csms(transaction_id=transaction_id, readings=[reading])
    _schedule_meter(transaction_id)
    return "metered"
