"""Commands end to end between a CPO instance (NL/CPO, simulator adapter) and an eMSP instance (DE/MSP), over real
HTTP with real workers (issue: commands, "Done when").

The eMSP's driver app backend remote-starts a session at a CPO EVSE (the session appears on both sides), stops it
(the CDR follows); a reservation is made and cancelled; an unlock of an unknown connector gets the right refusal;
a command whose result never comes (a charger the simulator plays as offline) ends TIMEOUT on both sides.
"""

import datetime as dt

import pytest
import requests

from tests.e2e.test_tokens_roaming import staff

CAPABLE = '["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE"]'
SIMULATOR = {
    "COMMANDS_CSMS_ADAPTER": "roaming.commands.simulator.SimulatorCsmsAdapter",
    "COMMANDS_SIMULATOR_DELAY_SECONDS": "0.5",
    "COMMANDS_SIMULATOR_METER_INTERVAL_SECONDS": "2",
    "COMMANDS_SIMULATOR_OFFLINE_CHARGERS": "CP-003",
    "COMMANDS_TIMEOUT_SECONDS": "6",
    "COMMANDS_RESULT_GRACE_SECONDS": "3",
}
CPO = {"cpo_country_code": "NL", "cpo_party_id": "CPO"}


def restart(instance, env: dict) -> None:
    instance.stop_process("web")
    instance.stop_process("worker")
    instance.extra_env.update(env)
    instance.start_web()
    instance.start_worker()
    instance.wait_ready()


@pytest.fixture(scope="module")
def commands_pair(registered_pair):
    """The registered pair with the CPO's CSMS played by the simulator and short timeouts on both sides; the CPO's
    chargers imported and able to take commands, a token of the eMSP's app user."""
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    saved = {name: dict(instance.extra_env) for name, instance in (("cpo", cpo), ("emsp", emsp))}
    restart(cpo, SIMULATOR)
    restart(emsp, SIMULATOR)
    cpo.manage("import_chargers", "tests/e2e/data/chargers.csv")
    cpo.shell(
        "import json\n"
        "from roaming.locations.models import EVSE\n"
        f"EVSE.objects.filter(location__source_partner__isnull=True).update(capabilities=json.loads('{CAPABLE}'), "
        "status='AVAILABLE')\n"
    )
    emsp.shell(
        "from roaming.tokens.services.own import token_save_own\n"
        "token_save_own(data={'uid': 'APP-CMD-1', 'type': 'APP_USER', 'contract_id': 'DE-MSP-C00000077', "
        "'issuer': 'MSP Mobility'})\n"
    )
    yield registered_pair, staff(emsp), staff(cpo)
    for name, instance in (("cpo", cpo), ("emsp", emsp)):
        instance.extra_env.clear()
        instance.extra_env.update(saved[name])
        restart(instance, {})


def evse_uid(cpo, internal_id: str) -> str:
    return cpo.query("SELECT uid FROM locations_evse WHERE internal_id = %s", (internal_id,))[0][0]


def send(emsp, key: str, command: str, body: dict) -> dict:
    response = requests.post(
        f"{emsp.base_url}/api/v1/commands/{command}", json=body, headers={"Authorization": f"Token {key}"}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()


def outcome(emsp, key: str, command_id: str, wait: int = 20) -> dict:
    response = requests.get(
        f"{emsp.base_url}/api/v1/commands/{command_id}?wait={wait}",
        headers={"Authorization": f"Token {key}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_remote_start_then_stop_a_session_and_the_cdr_follows(commands_pair):
    pair, key, _ = commands_pair
    cpo, emsp = pair.cpo, pair.emsp
    uid = evse_uid(cpo, "CP-002")
    body = {"token_uid": "APP-CMD-1", "location_id": "LOC-AMS-1", "evse_uid": uid, "connector_id": "1", **CPO}
    started = send(emsp, key, "start_session", body)
    assert (started["status"], started["response_result"], started["response_timeout"]) == ("WAITING", "ACCEPTED", 6)
    done = outcome(emsp, key, started["id"])
    assert (done["status"], done["result"]) == ("DONE", "ACCEPTED")
    reference = started["authorization_reference"]

    # The session, on both sides, carrying the authorization we decided.
    where = "FROM charging_sessions_chargingsession WHERE authorization_reference = %s"
    (cpo_row,) = cpo.wait_for(
        f"SELECT session_id, status, evse_uid, token_uid, auth_method {where}",
        (reference,),
        expect=lambda r: len(r) == 1,
    )
    assert cpo_row[1:] == ("ACTIVE", uid, "APP-CMD-1", "COMMAND")
    session_id = cpo_row[0]
    emsp.wait_for(
        f"SELECT session_id, status {where}", (reference,), expect=lambda rows: rows == [(session_id, "ACTIVE")]
    )
    assert outcome(emsp, key, started["id"], wait=0)["charging_session_id"] == session_id
    assert cpo.query(
        "SELECT c.status, c.result, s.session_id FROM commands_command c JOIN charging_sessions_chargingsession s "
        "ON s.id = c.charging_session_id WHERE c.type = 'START_SESSION' AND c.authorization_reference = %s",
        (reference,),
    ) == [("DONE", "ACCEPTED", session_id)]

    stopped = send(emsp, key, "stop_session", {"session_id": session_id})
    assert outcome(emsp, key, stopped["id"])["result"] == "ACCEPTED"
    cpo.wait_for(f"SELECT status {where}", (reference,), expect=lambda rows: rows == [("COMPLETED",)])
    emsp.wait_for(f"SELECT status {where}", (reference,), expect=lambda rows: rows == [("COMPLETED",)])
    # The CDR: made at the CPO when the session completed, and received by the eMSP.
    cpo.wait_for("SELECT 1 FROM cdrs_cdr WHERE session_id = %s", (session_id,))
    emsp.wait_for("SELECT 1 FROM cdrs_cdr WHERE session_id = %s", (session_id,), timeout=60)


def test_a_reservation_is_made_and_cancelled(commands_pair):
    pair, key, _ = commands_pair
    cpo, emsp = pair.cpo, pair.emsp
    expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "token_uid": "APP-CMD-1",
        "location_id": "LOC-AMS-1",
        "evse_uid": evse_uid(cpo, "CP-001"),
        "expiry_date": expiry,
        **CPO,
    }
    reserved = send(emsp, key, "reserve_now", body)
    assert outcome(emsp, key, reserved["id"])["result"] == "ACCEPTED"
    where = "FROM charging_sessions_chargingsession WHERE authorization_reference = %s"
    reference = reserved["authorization_reference"]
    (row,) = cpo.wait_for(f"SELECT session_id, status {where}", (reference,), expect=lambda r: len(r) == 1)
    assert row[1] == "RESERVATION"
    emsp.wait_for(f"SELECT session_id, status {where}", (reference,), expect=lambda rows: rows == [row])

    cancelled = send(emsp, key, "cancel_reservation", {"reservation_id": reserved["reservation_id"]})
    assert outcome(emsp, key, cancelled["id"])["result"] == "ACCEPTED"
    cpo.wait_for(f"SELECT status {where}", (reference,), expect=lambda rows: rows == [("INVALID",)])
    emsp.wait_for(f"SELECT status {where}", (reference,), expect=lambda rows: rows == [("INVALID",)])


def test_an_unlock_of_an_unknown_connector_or_location_is_refused(commands_pair):
    pair, key, _ = commands_pair
    cpo, emsp = pair.cpo, pair.emsp
    body = {"location_id": "LOC-AMS-1", "evse_uid": evse_uid(cpo, "CP-001"), "connector_id": "9", **CPO}
    refused = send(emsp, key, "unlock_connector", body)
    assert (refused["status"], refused["response_result"], refused["result"]) == ("REFUSED", "REJECTED", "")
    assert refused["response_message"] == f"connector_id: EVSE {body['evse_uid']} has no connector '9'"
    unknown = send(emsp, key, "unlock_connector", {**body, "location_id": "LOC-NOWHERE"})
    assert (unknown["status"], unknown["response_result"]) == ("REFUSED", "REJECTED")
    assert emsp.query("SELECT ocpi_status FROM commands_command WHERE uid = %s", (unknown["id"],)) == [(2003,)]
    # The CPO kept both refusals, and nothing reached the charger.
    assert cpo.query(
        "SELECT status, response_result, ocpi_status FROM commands_command WHERE type = 'UNLOCK_CONNECTOR' ORDER BY id"
    ) == [("REFUSED", "REJECTED", 1000), ("REFUSED", "REJECTED", 2003)]


def test_a_command_whose_result_never_comes_ends_timeout_on_both_sides(commands_pair):
    pair, key, _ = commands_pair
    cpo, emsp = pair.cpo, pair.emsp
    body = {"token_uid": "APP-CMD-1", "location_id": "LOC-UTR-1", **CPO}  # CP-003: the simulator plays it offline
    started = send(emsp, key, "start_session", body)
    assert started["status"] == "WAITING"
    done = outcome(emsp, key, started["id"], wait=25)
    assert done["result"] == "TIMEOUT"
    assert done["status"] in ("DONE", "TIMED_OUT")  # the CPO's TIMEOUT, or ours if it came first
    # When the eMSP's own timeout came first, the CPO's may still be on its way: wait for it, and for the CPO to
    # record the delivery of its result (a moment after the eMSP committed it).
    cpo.wait_for(
        "SELECT status, result FROM commands_command WHERE type = 'START_SESSION' AND evse_uid = %s",
        (evse_uid(cpo, "CP-003"),),
        expect=lambda rows: rows == [("TIMED_OUT", "TIMEOUT")],
    )
    cpo.wait_for(
        "SELECT status FROM ocpi_outboxmessage WHERE module = 'commands' AND body->>'result' = 'TIMEOUT'",
        expect=lambda rows: rows == [("delivered",)],
        timeout=30,
    )
    assert cpo.query(
        "SELECT count(*) FROM charging_sessions_chargingsession WHERE evse_uid = %s", (evse_uid(cpo, "CP-003"),)
    ) == [(0,)]
