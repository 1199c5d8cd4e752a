"""The commands internal API: the driver app backend sends commands and polls or waits for their outcome; our CSMS
reports what the charge point did with a command our CPO received (webhook adapter)."""

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from roaming.commands.adapters import csms_adapter, webhook_signature
from roaming.commands.models import Command
from tests.commands.conftest import CPO_COMMANDS, response_url, token_object
from tests.conftest import auth
from tests.stub_server import envelope


def ocpi_post(client, token, body, command="START_SESSION"):
    return client.post(
        f"/ocpi/2.2.1/cpo/commands/{command}", json.dumps(body), content_type="application/json", **auth(token)
    )


START = {"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "1", "token_uid": "UID-APP"}


def test_start_session_answers_the_command_then_poll_and_wait_return_the_result(csms, client, cpo_partner):
    _, cpo_token, stub = cpo_partner
    response = csms("post", "commands/start_session", START)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("command", "status", "response_result", "response_timeout", "result", "role")} == {
        "command": "START_SESSION",
        "status": "WAITING",
        "response_result": "ACCEPTED",
        "response_timeout": 30,
        "result": "",
        "role": "EMSP",
    }
    command = Command.objects.get()
    assert body["id"] == str(command.uid)
    assert stub.requests[-1].json()["token"]["type"] == "APP_USER"  # the API's default token type

    path = urlsplit(command.response_url).path
    client.post(path, json.dumps({"result": "ACCEPTED"}), content_type="application/json", **auth(cpo_token))
    polled = csms("get", f"commands/{command.uid}?wait=5").json()
    assert (polled["status"], polled["result"]) == ("DONE", "ACCEPTED")


def test_wait_is_bounded_and_returns_when_nothing_comes(csms, cpo_partner, settings):
    settings.COMMANDS_API_MAX_WAIT_SECONDS = 0.3
    command = Command.objects.get(uid=csms("post", "commands/start_session", START).json()["id"])
    started = timezone.now()
    polled = csms("get", f"commands/{command.uid}?wait=60")
    assert polled.status_code == 200 and polled.json()["status"] == "WAITING"
    assert (timezone.now() - started).total_seconds() < 5
    assert csms("get", f"commands/{command.uid}?wait=soon").json() == {"wait": ["a number of seconds is expected"]}


def test_bad_input_is_400_naming_the_field_and_a_refused_driver_409(csms, cpo_partner):
    assert csms("post", "commands/start_session", {"location_id": "LOC-BE"}).json() == {
        "token_uid": ["This field is required."]
    }
    assert csms("post", "commands/start_session", {**START, "token_uid": "NOPE"}).json() == {
        "token_uid": ["no token of ours with uid 'NOPE' (APP_USER)"]
    }
    from roaming.tokens.models import Token

    Token.objects.filter(uid="UID-APP").update(valid=False)
    refused = csms("post", "commands/start_session", START)
    assert refused.status_code == 409
    assert Command.objects.count() == 0
    assert csms("get", "commands/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "command"),
    [
        ("unlock_connector", {"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "1"}, "UNLOCK_CONNECTOR"),
        (
            "reserve_now",
            {"location_id": "LOC-BE", "token_uid": "UID-APP", "expiry_date": "2099-01-01T00:00:00Z"},
            "RESERVE_NOW",
        ),
    ],
)
def test_other_commands(csms, cpo_partner, path, body, command):
    _, _, stub = cpo_partner
    response = csms("post", f"commands/{path}", body)
    assert response.status_code == 201, response.content
    assert stub.requests[-1].path == f"{CPO_COMMANDS}/{command}"


def test_get_costs_a_constant_number_of_queries(csms, cpo_partner, django_assert_max_num_queries):
    uid = csms("post", "commands/start_session", START).json()["id"]
    with django_assert_max_num_queries(6):
        assert csms("get", f"commands/{uid}").status_code == 200


def test_the_webhook_adapter_signs_the_command_and_the_csms_answers_through_the_api(
    csms, client, emsp, our_charger, settings, stub_server, django_capture_on_commit_callbacks
):
    settings.COMMANDS_CSMS_ADAPTER = "roaming.commands.adapters.WebhookCsmsAdapter"
    settings.COMMANDS_CSMS_WEBHOOK_URL = f"{stub_server.url}/csms/hook"
    settings.COMMANDS_CSMS_WEBHOOK_SECRET = "s3cret"
    csms_adapter.cache_clear()
    stub_server.route("POST", "/csms/hook", (202, envelope()))
    _, token, _ = emsp
    body = {"response_url": response_url(stub_server, "w1"), "token": token_object(), "location_id": "LOC-CP-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = ocpi_post(client, token, body)
    assert response.json()["data"]["result"] == "ACCEPTED"
    (hook,) = [r for r in stub_server.requests if r.path == "/csms/hook"]
    command = Command.objects.get()
    sent = json.loads(hook.body)
    assert {k: sent[k] for k in ("id", "command", "charger_id", "evse_uid", "connector_id", "timeout")} == {
        "id": str(command.uid),
        "command": "START_SESSION",
        "charger_id": "CP-1",
        "evse_uid": "EVSE-CP-1",
        "connector_id": "1",
        "timeout": 60,
    }
    assert sent["result_url"].endswith(f"/api/v1/commands/{command.uid}/result")
    signature = hook.headers["X-Roaming-Signature"]
    timestamp = int(signature.split(",")[0][2:])
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + hook.body, hashlib.sha256).hexdigest()
    assert signature == f"t={timestamp},v1={expected}" == webhook_signature("s3cret", timestamp, hook.body)

    with django_capture_on_commit_callbacks(execute=True):
        answer = csms("post", f"commands/{command.uid}/result", {"result": "EVSE_OCCUPIED", "message": "Car parked"})
    assert answer.status_code == 200 and answer.json()["result"] == "EVSE_OCCUPIED"
    posted = [r.json() for r in stub_server.requests if r.path == "/emsp/results/w1"]
    assert posted == [{"result": "EVSE_OCCUPIED", "message": [{"language": "en", "text": "Car parked"}]}]
    # The same answer again changes nothing; another one conflicts.
    assert csms("post", f"commands/{command.uid}/result", {"result": "EVSE_OCCUPIED"}).status_code == 200
    assert csms("post", f"commands/{command.uid}/result", {"result": "ACCEPTED"}).status_code == 409


def test_a_webhook_that_cannot_be_reached_ends_failed(
    emsp, our_charger, settings, client, django_capture_on_commit_callbacks
):
    settings.COMMANDS_CSMS_ADAPTER = "roaming.commands.adapters.WebhookCsmsAdapter"
    settings.COMMANDS_CSMS_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    csms_adapter.cache_clear()
    _, token, stub = emsp
    body = {"response_url": response_url(stub, "w2"), "token": token_object(), "location_id": "LOC-CP-1"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/ocpi/2.2.1/cpo/commands/START_SESSION", json.dumps(body), content_type="application/json", **auth(token)
        )
    command = Command.objects.get()
    assert (command.status, command.result) == ("DONE", "FAILED")
    assert [r.json()["result"] for r in stub.requests if r.path == "/emsp/results/w2"] == ["FAILED"]


def test_without_a_webhook_url_commands_are_not_supported(emsp, our_charger, settings, client):
    settings.COMMANDS_CSMS_ADAPTER = "roaming.commands.adapters.WebhookCsmsAdapter"
    settings.COMMANDS_CSMS_WEBHOOK_URL = ""
    csms_adapter.cache_clear()
    _, token, stub = emsp
    body = {"response_url": response_url(stub), "token": token_object(), "location_id": "LOC-CP-1"}
    response = client.post(
        "/ocpi/2.2.1/cpo/commands/START_SESSION", json.dumps(body), content_type="application/json", **auth(token)
    )
    assert response.json()["data"]["result"] == "NOT_SUPPORTED"
