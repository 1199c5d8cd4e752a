"""Our eMSP sending commands (mod_commands.asciidoc, Sender interface): the command object sent, the CommandResponse
recorded, the CommandResult received at the command's own response_url (from that CPO only), and TIMEOUT."""

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from roaming.commands.choices import CommandStatus
from roaming.commands.models import Command
from roaming.commands.services import emsp
from roaming.core.exceptions import InvalidInput, StateConflict
from roaming.tokens.models import IssuedAuthorization, Token
from tests.commands.conftest import CPO_COMMANDS
from tests.conftest import auth
from tests.ocpi.interface import envelope_ok
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

START = {
    "location_id": "LOC-BE",
    "evse_uid": "BE-E1",
    "connector_id": "1",
    "token_uid": "UID-APP",
    "token_type": "APP_USER",
}


def sent(stub) -> list:
    return [r for r in stub.requests if r.path.startswith(CPO_COMMANDS)]


def post_result(client, command, token, body, *, path=None):
    path = path or urlsplit(command.response_url).path
    return client.post(path, json.dumps(body), content_type="application/json", **auth(token))


def test_start_session_sends_our_token_and_authorization_and_records_the_response(cpo_partner, settings):
    partner, _, stub = cpo_partner
    command = emsp.command_send(command_type="START_SESSION", params=dict(START), requested_by="app")
    (request,) = sent(stub)
    assert request.path == f"{CPO_COMMANDS}/START_SESSION"
    body = request.json()
    reference = IssuedAuthorization.objects.get().authorization_reference
    token = Token.objects.get(uid="UID-APP")
    assert body["token"]["uid"] == "UID-APP" and body["token"]["type"] == "APP_USER"
    assert body["token"]["contract_id"] == token.contract_id
    assert {k: body[k] for k in ("location_id", "evse_uid", "connector_id", "authorization_reference")} == {
        "location_id": "LOC-BE",
        "evse_uid": "BE-E1",
        "connector_id": "1",
        "authorization_reference": reference,
    }
    assert body["response_url"] == command.response_url
    assert (
        body["response_url"]
        == f"{settings.OCPI_BASE_URL}/ocpi/2.2.1/emsp/commands/START_SESSION/{command.response_token}"
    )
    assert len(command.response_token) >= 32
    assert (command.status, command.response_result, command.response_timeout) == (
        CommandStatus.WAITING,
        "ACCEPTED",
        30,
    )
    assert command.partner == partner and command.authorization_reference == reference
    assert command.deadline == command.responded_at + dt.timedelta(seconds=30 + settings.COMMANDS_RESULT_GRACE_SECONDS)
    # Another command gets another URL.
    other = emsp.command_send(command_type="START_SESSION", params=dict(START))
    assert other.response_url != command.response_url


def test_the_result_is_accepted_from_that_cpo_only(client, cpo_partner):
    partner, token, _ = cpo_partner
    command = emsp.command_send(command_type="START_SESSION", params=dict(START))
    _, intruder = registered_partner_with_token(country_code="FR", party_id="FRC", role="CPO")

    response = post_result(client, command, intruder, {"result": "REJECTED"})
    assert response.status_code == 404 and envelope_ok(response)["status_code"] == 2000
    response = post_result(
        client, command, token, {"result": "ACCEPTED"}, path="/ocpi/2.2.1/emsp/commands/START_SESSION/guess"
    )
    assert response.status_code == 404
    response = post_result(
        client,
        command,
        token,
        {"result": "ACCEPTED"},
        path=urlsplit(command.response_url).path.replace("START_SESSION", "STOP_SESSION"),
    )
    assert response.status_code == 404
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.WAITING, "")

    bad = post_result(client, command, token, {"result": "MAYBE"})
    assert envelope_ok(bad)["status_code"] == 2001
    assert envelope_ok(bad)["status_message"] == "result: 'MAYBE' is not a valid CommandResultType"
    command.refresh_from_db()
    assert command.result == ""

    message = [{"language": "en", "text": "Plug in your car"}]
    response = post_result(client, command, token, {"result": "ACCEPTED", "message": message})
    body = envelope_ok(response)
    assert (response.status_code, body["status_code"]) == (200, 1000)
    assert "data" not in body
    command.refresh_from_db()
    assert (command.status, command.result, command.result_message, command.late_result) == (
        CommandStatus.DONE,
        "ACCEPTED",
        message,
        False,
    )
    # The same result again: acknowledged, unchanged.
    assert (
        envelope_ok(post_result(client, command, token, {"result": "ACCEPTED", "message": message}))["status_code"]
        == 1000
    )


def test_a_refusal_with_2003_keeps_the_command_response(cpo_partner):
    _, _, stub = cpo_partner
    refusal = envelope({"result": "REJECTED", "timeout": 30}, status_code=2003, message="location_id: unknown")
    stub.route("POST", f"{CPO_COMMANDS}/UNLOCK_CONNECTOR", (200, refusal))
    command = emsp.command_send(
        command_type="UNLOCK_CONNECTOR", params={"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "7"}
    )
    assert (command.status, command.response_result, command.ocpi_status) == (CommandStatus.REFUSED, "REJECTED", 2003)
    assert command.error == "location_id: unknown"


def test_a_cpo_that_cannot_be_reached_leaves_the_command_not_delivered(cpo_partner):
    _, _, stub = cpo_partner
    stub.route("POST", f"{CPO_COMMANDS}/START_SESSION", (503, b"<html>down</html>"))
    command = emsp.command_send(command_type="START_SESSION", params=dict(START))
    assert command.status == CommandStatus.NOT_DELIVERED
    assert "HTTP 503" in command.error


def test_a_blocked_token_is_refused_here_and_nothing_is_sent(cpo_partner):
    _, _, stub = cpo_partner
    Token.objects.filter(uid="UID-APP").update(valid=False)
    with pytest.raises(StateConflict) as refused:
        emsp.command_send(command_type="START_SESSION", params=dict(START))
    assert (
        refused.value.message
        == "token UID-APP may not charge here (BLOCKED): This card is blocked. Please contact your provider."
    )
    assert sent(stub) == [] and Command.objects.count() == 0
    with pytest.raises(InvalidInput) as unknown:
        emsp.command_send(command_type="START_SESSION", params={**START, "token_uid": "NOPE"})
    assert unknown.value.field == "token_uid"


def test_no_result_within_the_timeout_is_timeout_and_a_late_result_is_recorded(client, cpo_partner):
    _, token, _ = cpo_partner
    command = emsp.command_send(command_type="START_SESSION", params=dict(START))
    assert emsp.commands_expire_emsp() == 0
    Command.objects.filter(pk=command.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert emsp.commands_expire_emsp() == 1
    command.refresh_from_db()
    assert (command.status, command.result) == (CommandStatus.TIMED_OUT, "TIMEOUT")
    assert command.timed_out_at is not None
    assert envelope_ok(post_result(client, command, token, {"result": "EVSE_OCCUPIED"}))["status_code"] == 1000
    command.refresh_from_db()
    assert (command.status, command.result, command.late_result) == (CommandStatus.DONE, "EVSE_OCCUPIED", True)


def test_reserve_then_cancel_and_stop(cpo_partner):
    _, _, stub = cpo_partner
    expiry = timezone.now() + dt.timedelta(hours=1)
    reserve = emsp.command_send(
        command_type="RESERVE_NOW",
        params={"location_id": "LOC-BE", "token_uid": "UID-APP", "token_type": "APP_USER", "expiry_date": expiry},
    )
    body = sent(stub)[-1].json()
    assert body["reservation_id"] == reserve.reservation_id and len(reserve.reservation_id) == 16
    assert body["expiry_date"] == expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    cancel = emsp.command_send(command_type="CANCEL_RESERVATION", params={"reservation_id": reserve.reservation_id})
    assert sent(stub)[-1].path == f"{CPO_COMMANDS}/CANCEL_RESERVATION"
    assert set(sent(stub)[-1].json()) == {"response_url", "reservation_id"}
    assert cancel.partner_id == reserve.partner_id
    with pytest.raises(InvalidInput) as unknown:
        emsp.command_send(command_type="STOP_SESSION", params={"session_id": "NOPE"})
    assert unknown.value.field == "session_id"
