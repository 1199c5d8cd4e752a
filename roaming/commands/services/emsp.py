"""Our eMSP sending commands to CPO partners (mod_commands.asciidoc, Sender interface).

``command_send`` builds the command object, records it, POSTs it to the CPO's commands Receiver through the
outbound client (outside any transaction) and records the CommandResponse. Each command gets its own
``response_url`` ending in an unguessable token, so the CommandResult the CPO posts there later is matched to it,
and accepted only from that CPO (``command_result_received``). A START_SESSION or RESERVE_NOW carries our token as
we pushed it to the CPO and the authorization we decided for it (``roaming.tokens`` rule chain, recorded as an
issued authorization whose reference the CPO copies into the Session and CDR); a token we refuse is not sent.

A command whose result has not come within the CPO's announced ``timeout`` (plus ``COMMANDS_RESULT_GRACE_SECONDS``)
becomes TIMEOUT (``commands_expire_emsp``, per command and periodically); a result arriving later is still recorded
and flagged late.
"""

import datetime as dt
import logging
import secrets
import uuid

from django.conf import settings
from django.db import transaction

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
from roaming.locations.models import Location
from roaming.ocpi import registry
from roaming.ocpi.client import OcpiClientError, join_url
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.directory import directory
from roaming.ocpi.queueing import publish
from roaming.ocpi.status import InterfaceRole
from roaming.partners.models import Partner
from roaming.sessions.models import ChargingSession
from roaming.tokens.choices import AllowedType
from roaming.tokens.ocpi.render import token_to_ocpi
from roaming.tokens.selectors import token_get_own
from roaming.tokens.services.authorize import token_authorize

logger = logging.getLogger("roaming.commands")


def _partner(partner_id: int | None, country_code: str = "", party_id: str = "") -> Partner | None:
    partners = Partner.objects.all()
    if partner_id:
        return partners.filter(pk=partner_id).first()
    if country_code and party_id:
        return (
            partners.filter(
                roles__role="CPO", roles__country_code__iexact=country_code, roles__party_id__iexact=party_id
            )
            .order_by("-pk")
            .first()
        )
    return None


def _cpo_of_location(location_id: str, partner: Partner | None) -> tuple[Partner, Location | None]:
    """The CPO partner the command goes to: the one named, else the one whose location this is."""
    locations = Location.objects.filter(source_partner__isnull=False, location_id__iexact=location_id)
    if partner is not None:
        return partner, locations.filter(source_partner=partner).first()
    location = locations.select_related("source_partner").order_by("-pk").first()
    if location is None:
        raise InvalidInput(f"no partner location '{location_id}' is known here; name the CPO", field="location_id")
    return location.source_partner, location


def _authorized_token(*, uid: str, type: str, partner: Partner, location_id: str, evse_uid: str):
    """Our token, authorized by our own rule chain for this location (mod_commands.asciidoc: "The Token provided
    by the eMSP ... SHALL be authorized by the eMSP before sending it to the CPO")."""
    token = token_get_own(uid=uid, type=type or "RFID")
    if token is None:
        raise InvalidInput(f"no token of ours with uid '{uid}' ({type or 'RFID'})", field="token_uid")
    location = {"location_id": location_id, "evse_uids": [evse_uid] if evse_uid else []}
    decision = token_authorize(token=token, location=location, partner_id=partner.pk)
    if decision.allowed != AllowedType.ALLOWED:
        why = f": {decision.info}" if decision.info else ""
        raise StateConflict(f"token {uid} may not charge here ({decision.allowed}){why}")
    return token, decision.authorization_reference


#: what a command about an existing session or reservation copies from it
COPIED = ("location_id", "evse_uid", "token_uid", "token_type", "contract_id")


def _copied(source, *extra: str) -> dict:
    return {name: getattr(source, name) for name in (*COPIED, *extra)}


def _response_url(command_type: str, response_token: str) -> str:
    base = registry.endpoint_url("2.2.1", MODULE, InterfaceRole.SENDER)
    if base is None:
        raise StateConflict("our eMSP role is not enabled (OCPI_ROLES): no commands Sender interface to answer to")
    return join_url(base, command_type, response_token)


def command_send(
    *,
    command_type: str,
    params: dict,
    partner_id: int | None = None,
    requested_by: str = "",
) -> Command:
    """Send one command for one of our drivers to a CPO partner; return it with its CommandResponse recorded.

    ``params`` (already shape-validated): ``location_id``, ``evse_uid``, ``connector_id``, ``token_uid``,
    ``token_type``, ``expiry_date``, ``session_id``, ``reservation_id``, ``cpo_country_code``/``cpo_party_id``
    as the command needs. Refusals we make before sending (unknown token, token not allowed, unknown session)
    raise domain errors and send nothing."""
    partner = _partner(partner_id, params.get("cpo_country_code", ""), params.get("cpo_party_id", ""))
    if (partner_id or params.get("cpo_country_code")) and partner is None:
        raise InvalidInput("no such CPO partner", field="cpo_party_id" if not partner_id else "partner")
    response_token = secrets.token_urlsafe(24)
    fields: dict = {}
    body: dict = {"response_url": _response_url(command_type, response_token)}
    if command_type in (CommandType.START_SESSION, CommandType.RESERVE_NOW, CommandType.UNLOCK_CONNECTOR):
        partner, _location = _cpo_of_location(params["location_id"], partner)
        fields.update(
            location_id=params["location_id"],
            evse_uid=params.get("evse_uid") or "",
            connector_id=params.get("connector_id") or "",
        )
        body["location_id"] = params["location_id"]
    if command_type in (CommandType.START_SESSION, CommandType.RESERVE_NOW):
        token, reference = _authorized_token(
            uid=params["token_uid"],
            type=params.get("token_type") or "",
            partner=partner,
            location_id=params["location_id"],
            evse_uid=params.get("evse_uid") or "",
        )
        body["token"] = token_to_ocpi(token)
        fields.update(
            token_uid=token.uid, token_type=token.type, contract_id=token.contract_id, authorization_reference=reference
        )
        if fields["evse_uid"]:
            body["evse_uid"] = fields["evse_uid"]
        if command_type == CommandType.START_SESSION and fields["connector_id"]:
            if not fields["evse_uid"]:
                raise InvalidInput("an EVSE is needed to name a connector", field="evse_uid")
            body["connector_id"] = fields["connector_id"]
        body["authorization_reference"] = reference
    if command_type == CommandType.RESERVE_NOW:
        expiry = params["expiry_date"]
        if expiry <= now():
            raise InvalidInput("the reservation would end before it starts", field="expiry_date")
        fields["reservation_id"] = params.get("reservation_id") or uuid.uuid4().hex[:16]
        body.update(expiry_date=format_datetime(expiry), reservation_id=fields["reservation_id"])
    elif command_type == CommandType.UNLOCK_CONNECTOR:
        body.update(evse_uid=params["evse_uid"], connector_id=params["connector_id"])
    elif command_type == CommandType.STOP_SESSION:
        sessions = ChargingSession.objects.filter(source_partner__isnull=False, session_id__iexact=params["session_id"])
        if partner is not None:
            sessions = sessions.filter(source_partner=partner)
        session = sessions.select_related("source_partner").order_by("-pk").first()
        if session is None:
            raise InvalidInput(f"no session '{params['session_id']}' of our drivers", field="session_id")
        partner = session.source_partner
        fields.update(_copied(session, "connector_id"), charging_session=session, session_id=session.session_id)
        body["session_id"] = session.session_id
    elif command_type == CommandType.CANCEL_RESERVATION:
        reserved = Command.objects.filter(
            role=CommandRole.EMSP, type=CommandType.RESERVE_NOW, reservation_id=params["reservation_id"]
        )
        if partner is not None:
            reserved = reserved.filter(partner=partner)
        reservation = reserved.select_related("partner").order_by("-pk").first()
        if reservation is None:
            raise InvalidInput(f"no reservation '{params['reservation_id']}' made here", field="reservation_id")
        partner = reservation.partner
        fields.update(_copied(reservation, "reservation_id"))
        body["reservation_id"] = reservation.reservation_id
    endpoint = directory().endpoint_url(partner.pk, MODULE, InterfaceRole.RECEIVER)
    if not endpoint:
        raise StateConflict(f"{partner} publishes no commands Receiver endpoint")
    command = Command.objects.create(
        role=CommandRole.EMSP,
        type=command_type,
        partner=partner,
        status=CommandStatus.SENDING,
        request=body,
        response_url=body["response_url"],
        response_token=response_token,
        requested_by=requested_by[:150],
        sent_at=now(),
        **fields,
    )
    return _post(command, endpoint)


def _post(command: Command, endpoint: str) -> Command:
    client = directory().client(command.partner_id, module=MODULE, interface=InterfaceRole.RECEIVER)
    url = join_url(endpoint, command.type)
    response, error, ocpi_status = None, "", None
    try:
        result = client.post(url, json=command.request, module=MODULE)
        response, ocpi_status = result.object, result.status_code
    except OcpiClientError as exc:
        # A refusal (2003 for an unknown location) still carries the CommandResponse: keep it.
        data = exc.response.object if exc.response is not None else None
        if isinstance(data, dict) and data.get("result"):
            response, ocpi_status = data, exc.ocpi_status
            error = exc.response.status_message if exc.response is not None else ""
        else:
            error = exc.message
    command.responded_at = now()
    command.ocpi_status = ocpi_status
    if not isinstance(response, dict) or response.get("result") not in CommandResponseType.values:
        command.status = CommandStatus.NOT_DELIVERED
        command.error = (error or "the CPO's answer holds no CommandResponse")[:512]
        command.save()
        logger.warning("command %s to partner %s not delivered: %s", command.uid, command.partner_id, command.error)
        return command
    command.response_result = response["result"]
    command.response_message = _display_texts(response.get("message"))
    command.error = error[:512]
    try:
        timeout = max(0, int(response.get("timeout")))
    except (TypeError, ValueError):  # lenient: a CPO omitting the timeout gets ours
        timeout = settings.COMMANDS_TIMEOUT_SECONDS
    command.response_timeout = timeout
    if command.response_result == CommandResponseType.ACCEPTED:
        command.status = CommandStatus.WAITING
        wait = timeout + settings.COMMANDS_RESULT_GRACE_SECONDS
        command.deadline = command.responded_at + dt.timedelta(seconds=wait)
    else:
        command.status = CommandStatus.REFUSED
    with transaction.atomic():
        # The result may already have come (a fast CPO posts it before answering): never overwrite it.
        updated = Command.objects.filter(pk=command.pk, status=CommandStatus.SENDING).update(
            status=command.status,
            response_result=command.response_result,
            response_message=command.response_message,
            response_timeout=timeout,
            responded_at=command.responded_at,
            ocpi_status=ocpi_status,
            deadline=command.deadline,
            error=command.error,
        )
        if not updated:
            Command.objects.filter(pk=command.pk).update(
                response_result=command.response_result,
                response_message=command.response_message,
                response_timeout=timeout,
                responded_at=command.responded_at,
                ocpi_status=ocpi_status,
            )
    if command.status == CommandStatus.WAITING:
        from roaming.commands.tasks import command_expire_task

        publish(command_expire_task, (command.pk,), countdown=wait + 1)
    command.refresh_from_db()
    return command


def _display_texts(value) -> list:
    if not isinstance(value, list):
        return []
    return [
        {"language": str(item.get("language", ""))[:2], "text": str(item.get("text", ""))[:512]}
        for item in value
        if isinstance(item, dict) and item.get("text")
    ]


def command_result_received(*, partner_id: int, command_type: str, response_token: str, data: dict) -> Command:
    """A CPO's CommandResult posted to one of our ``response_url``\\ s. Only the CPO the command went to may post
    it (anyone else: not found). A repeated identical result is acknowledged; a later different one (a CPO
    cancelling an accepted reservation) replaces it; one after our TIMEOUT is recorded and flagged late."""
    with transaction.atomic():
        command = (
            Command.objects.select_for_update()
            .filter(role=CommandRole.EMSP, response_token=response_token, partner_id=partner_id)
            .first()
        )
        if command is None or command.type != command_type:
            raise ObjectNotFound("No command is waiting for a result at this URL.")
        result, message = data["result"], data.get("message") or []
        if command.result == result and command.result_message == message:
            return command
        command.late_result = command.status == CommandStatus.TIMED_OUT and result != CommandResultType.TIMEOUT
        command.result, command.result_message, command.result_at = result, message, now()
        if command.status != CommandStatus.TIMED_OUT or result != CommandResultType.TIMEOUT:
            command.status = CommandStatus.DONE
        command.save()
    logger.info("command %s: result %s", command.uid, result)
    return command


def commands_expire_emsp(*, command_id: int | None = None) -> int:
    """Our commands whose result has not come by their deadline: TIMEOUT. Returns how many."""
    overdue = Command.objects.filter(role=CommandRole.EMSP, status=CommandStatus.WAITING, deadline__lte=now())
    if command_id is not None:
        overdue = overdue.filter(pk=command_id)
    moment = now()
    return overdue.update(
        status=CommandStatus.TIMED_OUT,
        result=CommandResultType.TIMEOUT,
        result_message=display_text("No result from the charge point operator in time."),
        timed_out_at=moment,
        updated_at=moment,
    )
