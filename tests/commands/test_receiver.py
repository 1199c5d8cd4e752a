"""Our CPO receiving commands (mod_commands.asciidoc, Receiver interface): the CommandResponse, the refusals the spec
names, the hand-over to the CSMS (the simulator here) and the CommandResult posted to the eMSP's response_url
through the outbox."""

import datetime as dt

import pytest
from django.utils import timezone

from roaming.cdrs.models import Cdr
from roaming.commands.choices import CommandStatus
from roaming.commands.models import Command
from roaming.commands.services import cpo
from roaming.ocpi.models import OutboxMessage
from roaming.sessions.models import ChargingSession
from tests.commands.conftest import reserve_body, response_url, token_object
from tests.ocpi.interface import envelope_ok
from tests.partners.factories import registered_partner_with_token

URL = "/ocpi/2.2.1/cpo/commands"


def start_body(stub, **extra):
    body = {"response_url": response_url(stub), "token": token_object(), "location_id": "LOC-CP-1"}
    body.update(extra)
    return body


def results_posted(stub) -> list[dict]:
    return [r.json() for r in stub.requests if r.method == "POST" and r.path.startswith("/emsp/results/")]


def test_start_session_is_accepted_then_the_charger_starts_a_session_and_the_result_is_posted(post, emsp, our_charger):
    partner, token, stub = emsp
    response = post(token, "START_SESSION", start_body(stub, authorization_reference="AUTH-REF-1"))
    body = envelope_ok(response)
    assert response.status_code == 200
    assert body["status_code"] == 1000
    assert body["data"] == {"result": "ACCEPTED", "timeout": 60}
    command = Command.objects.get()
    assert (command.role, command.type, command.partner_id) == ("CPO", "START_SESSION", partner.pk)
    assert (command.evse_uid, command.connector_id, command.token_uid) == ("EVSE-CP-1", "1", "APP-1")
    # The simulator answered at once (eager Celery): ACCEPTED posted to the response_url, a session started.
    assert (command.status, command.result) == (CommandStatus.DONE, "ACCEPTED")
    assert results_posted(stub) == [{"result": "ACCEPTED"}]
    session = ChargingSession.objects.get(source_partner__isnull=True)
    assert (session.status, session.auth_method, session.authorization_reference) == ("ACTIVE", "COMMAND", "AUTH-REF-1")
    assert (session.token_uid, session.emsp_country_code, session.emsp_party_id) == ("APP-1", "DE", "MSP")
    assert command.charging_session == session
    message = OutboxMessage.objects.get(module="commands")
    assert (message.status, message.method, message.path) == ("delivered", "POST", response_url(stub))


def test_the_token_is_not_authorized_again(post, emsp, our_charger):
    """mod_commands.asciidoc, StartSession: "the CPO SHALL NOT check the validity of the Token"."""
    _, token, stub = emsp
    body = start_body(stub, token=token_object(valid=False, whitelist="NEVER"))
    assert envelope_ok(post(token, "start_session", body))["data"]["result"] == "ACCEPTED"
    assert not [r for r in stub.requests if "authorize" in r.path]


def test_an_unknown_location_is_2003_with_a_rejected_command_response(post, emsp, our_charger):
    _, token, stub = emsp
    body = {"response_url": response_url(stub), "location_id": "NOPE", "evse_uid": "E", "connector_id": "1"}
    response = post(token, "UNLOCK_CONNECTOR", body)
    data = envelope_ok(response)
    assert response.status_code == 200
    assert data["status_code"] == 2003
    assert data["data"]["result"] == "REJECTED"
    assert data["data"]["timeout"] == 60
    assert data["status_message"] == "location_id: no location 'NOPE'"
    assert Command.objects.get().status == CommandStatus.REFUSED
    assert results_posted(stub) == []


def test_an_unknown_connector_is_rejected_and_nothing_is_sent_to_the_charger(post, emsp, our_charger):
    _, token, stub = emsp
    body = {"response_url": response_url(stub), "location_id": "loc-cp-1", "evse_uid": "EVSE-CP-1", "connector_id": "9"}
    data = envelope_ok(post(token, "UNLOCK_CONNECTOR", body))
    assert data["status_code"] == 1000
    assert data["data"]["result"] == "REJECTED"
    assert data["data"]["message"] == [{"language": "en", "text": "connector_id: EVSE EVSE-CP-1 has no connector '9'"}]
    assert results_posted(stub) == []


@pytest.mark.parametrize(
    ("command", "capability", "body"),
    [
        ("START_SESSION", "REMOTE_START_STOP_CAPABLE", {"token": token_object(), "evse_uid": "EVSE-CP-1"}),
        ("UNLOCK_CONNECTOR", "UNLOCK_CAPABLE", {"evse_uid": "EVSE-CP-1", "connector_id": "1"}),
        (
            "RESERVE_NOW",
            "RESERVABLE",
            {"token": token_object(), "expiry_date": "2099-01-01T00:00:00Z", "reservation_id": "R1"},
        ),
    ],
)
def test_an_evse_without_the_capability_is_not_supported(post, emsp, our_charger, command, capability, body):
    _, token, stub = emsp
    evse = our_charger.evse
    evse.capabilities = [c for c in evse.capabilities if c != capability]
    evse.save()
    body = {"response_url": response_url(stub), "location_id": "LOC-CP-1", **body}
    data = envelope_ok(post(token, command, body))
    assert (data["status_code"], data["data"]["result"]) == (1000, "NOT_SUPPORTED")


def test_start_session_connector_required(post, emsp, our_charger):
    _, token, stub = emsp
    evse = our_charger.evse
    evse.capabilities = [*evse.capabilities, "START_SESSION_CONNECTOR_REQUIRED"]
    evse.save()
    data = envelope_ok(post(token, "START_SESSION", start_body(stub, evse_uid="EVSE-CP-1")))
    assert data["status_code"] == 2001
    assert data["status_message"] == "connector_id: required at EVSE EVSE-CP-1 (START_SESSION_CONNECTOR_REQUIRED)"
    assert Command.objects.count() == 0


@pytest.mark.parametrize(
    ("command", "mutation", "message"),
    [
        ("START_SESSION", {"location_id": None}, "location_id: This field is required."),
        ("START_SESSION", {"response_url": "ftp://x"}, "response_url: must be an absolute http(s) URL"),
        ("START_SESSION", {"connector_id": "1"}, "evse_uid: required when connector_id is set"),
        ("START_SESSION", {"token": {"uid": "X"}}, "token.country_code: This field is required."),
        ("FLY_TO_THE_MOON", {}, "command: 'FLY_TO_THE_MOON' is not a CommandType"),
    ],
)
def test_a_bad_body_is_2001_naming_the_field_and_changes_nothing(post, emsp, our_charger, command, mutation, message):
    _, token, stub = emsp
    body = {k: v for k, v in {**start_body(stub), **mutation}.items() if v is not None}
    data = envelope_ok(post(token, command, body))
    assert data["status_code"] == 2001
    assert data["status_message"].startswith(message)
    assert Command.objects.count() == 0 and ChargingSession.objects.count() == 0


def test_stop_session_of_another_emsps_driver_is_rejected_and_unknown_is_unknown_session(post, emsp, our_charger):
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    session = ChargingSession.objects.get()
    ChargingSession.objects.filter(pk=session.pk).update(emsp_party_id="OTH")
    body = {"response_url": response_url(stub, "2"), "session_id": session.session_id}
    assert envelope_ok(post(token, "STOP_SESSION", body))["data"]["result"] == "REJECTED"
    body["session_id"] = "NO-SUCH-SESSION"
    assert envelope_ok(post(token, "STOP_SESSION", body))["data"]["result"] == "UNKNOWN_SESSION"


def test_stop_session_stops_it_and_the_cdr_follows(post, emsp, our_charger):
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    session = ChargingSession.objects.get()
    body = {"response_url": response_url(stub, "2"), "session_id": session.session_id}
    assert envelope_ok(post(token, "STOP_SESSION", body))["data"]["result"] == "ACCEPTED"
    session.refresh_from_db()
    assert session.status == "COMPLETED"
    assert Cdr.objects.filter(session_id=session.session_id).count() == 1
    assert results_posted(stub) == [{"result": "ACCEPTED"}, {"result": "ACCEPTED"}]


def test_reservation_then_cancellation_by_the_emsp_and_by_the_cpo(
    post, emsp, our_charger, django_capture_on_commit_callbacks
):
    _, token, stub = emsp
    reserve = reserve_body(stub)
    assert envelope_ok(post(token, "RESERVE_NOW", reserve))["data"]["result"] == "ACCEPTED"
    session = ChargingSession.objects.get()
    assert session.status == "RESERVATION"
    cancel = {"response_url": response_url(stub, "c1"), "reservation_id": "res-1"}
    assert envelope_ok(post(token, "CANCEL_RESERVATION", cancel))["data"]["result"] == "ACCEPTED"
    session.refresh_from_db()
    assert session.status == "INVALID"
    # Cancelled already: a second cancellation finds no reservation.
    assert envelope_ok(post(token, "CANCEL_RESERVATION", cancel))["data"]["result"] == "REJECTED"

    # A new reservation, cancelled by the CPO: CANCELED_RESERVATION to the RESERVE_NOW's response_url.
    reserve.update(reservation_id="RES-2", response_url=response_url(stub, "r2"))
    post(token, "RESERVE_NOW", reserve)
    command = Command.objects.get(reservation_id="RES-2", type="RESERVE_NOW")
    with django_capture_on_commit_callbacks(execute=True):
        cpo.reservation_cancel_by_cpo(command=command)
    assert ChargingSession.objects.get(pk=command.charging_session_id).status == "INVALID"
    last = [r for r in stub.requests if r.path == "/emsp/results/r2"]
    assert [r.json() for r in last] == [
        {"result": "ACCEPTED"},
        {
            "result": "CANCELED_RESERVATION",
            "message": [{"language": "en", "text": "The reservation was cancelled by the charge point operator."}],
        },
    ]


def test_a_command_the_csms_never_answers_times_out_and_timeout_is_posted(
    post, emsp, our_charger, settings, django_capture_on_commit_callbacks
):
    settings.COMMANDS_SIMULATOR_OFFLINE_CHARGERS = ["CP-1"]
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    command = Command.objects.get()
    assert command.status == CommandStatus.WAITING
    assert cpo.commands_expire_cpo() == 0  # not due yet
    Command.objects.filter(pk=command.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert cpo.commands_expire_cpo() == 1
    command.refresh_from_db()
    assert (command.status, command.result, command.late_result) == (CommandStatus.TIMED_OUT, "TIMEOUT", False)
    assert results_posted(stub)[0]["result"] == "TIMEOUT"
    # The charger answers after all: recorded as late, and sent too.
    with django_capture_on_commit_callbacks(execute=True):
        cpo.command_result_from_csms(command_uid=command.uid, result="ACCEPTED")
    command.refresh_from_db()
    assert (command.result, command.late_result) == ("ACCEPTED", True)
    assert [r["result"] for r in results_posted(stub)] == ["TIMEOUT", "ACCEPTED"]


def test_the_result_is_retried_until_the_emsp_takes_it(post, emsp, our_charger):
    _, token, stub = emsp
    stub.route(
        "POST", "/emsp/results/*", (503, b"down"), (200, {"status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"})
    )
    post(token, "START_SESSION", start_body(stub))
    message = OutboxMessage.objects.get(module="commands")
    assert (message.status, message.attempts, message.http_status) == ("pending", 1, 503)
    from roaming.ocpi.push import _partner_recovered, outbox_deliver

    _partner_recovered(message.partner_id)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox_deliver(message.partner_id, "commands", message.object_key)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 2)


def test_a_reservation_used_by_its_driver_becomes_the_session_and_a_repeat_replaces_it(post, emsp, our_charger):
    _, token, stub = emsp
    reserve = reserve_body(stub, reservation_id="RES-9")
    post(token, "RESERVE_NOW", reserve)
    first = ChargingSession.objects.get()
    post(token, "RESERVE_NOW", {**reserve, "response_url": response_url(stub, "r2")})
    first.refresh_from_db()
    second = ChargingSession.objects.exclude(pk=first.pk).get()
    assert (first.status, second.status) == ("INVALID", "RESERVATION")

    assert envelope_ok(post(token, "START_SESSION", start_body(stub)))["data"]["result"] == "ACCEPTED"
    second.refresh_from_db()
    assert second.status == "ACTIVE"
    assert ChargingSession.objects.count() == 2
    assert Command.objects.get(type="START_SESSION").charging_session == second
    # Someone else's token at the now busy EVSE: occupied.
    post(
        token, "START_SESSION", start_body(stub, token=token_object(uid="APP-2"), response_url=response_url(stub, "o"))
    )
    assert Command.objects.get(token_uid="APP-2").result == "EVSE_OCCUPIED"


def test_lenient_input_and_a_reservation_already_over(post, emsp, our_charger):
    _, token, stub = emsp
    # A lower-case command and token type, a single object wrapped in a list: read as meant.
    body = start_body(stub, token=token_object(type="app_user"))
    data = envelope_ok(post(token, "start_session", [body]))
    assert data["data"]["result"] == "ACCEPTED"
    assert Command.objects.get().token_type == "APP_USER"
    past = {
        "response_url": response_url(stub, "p"),
        "token": token_object(),
        "expiry_date": "2020-01-01T00:00:00Z",
        "reservation_id": "OLD",
        "location_id": "LOC-CP-1",
    }
    answer = envelope_ok(post(token, "RESERVE_NOW", past))
    assert (answer["status_code"], answer["status_message"]) == (
        2001,
        "expiry_date: the reservation would end before it starts",
    )
    assert Command.objects.count() == 1


def test_a_token_of_another_emsp_and_a_caller_without_an_emsp_role_are_refused(post, emsp, our_charger):
    _, token, stub = emsp
    data = envelope_ok(post(token, "START_SESSION", start_body(stub, token=token_object(party_id="OTH"))))
    assert (data["status_code"], data["data"]["result"]) == (1000, "REJECTED")
    assert data["data"]["message"][0]["text"] == "token: DE/OTH is not one of your eMSP roles"
    _, cpo_token = registered_partner_with_token(country_code="FR", party_id="FRC", role="CPO")
    data = envelope_ok(post(cpo_token, "START_SESSION", start_body(stub)))
    assert (data["status_code"], data["status_message"]) == (2000, "only a partner with an eMSP role may send commands")
    assert ChargingSession.objects.count() == 0
