"""Our own objects read back from the partner's Receiver (a real HTTP stub): the ones it is missing or holds
differently are reported, re-pushed (a full PUT through the module's push, into the outbox, to that partner only)
with the repair, reviewed when a push is still in flight or the partner's copy claims to be newer; a partner without
a Receiver for the module is not asked."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roaming.core.api_keys import api_key_create
from roaming.locations.ocpi.render import location_to_ocpi
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.renderers import dumps
from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from roaming.reconciliation.services.own_objects import own_objects_check
from roaming.sessions.models import ChargingSession
from roaming.sessions.ocpi.render import session_to_ocpi
from roaming.sessions.services.announce import jsonable
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tokens.ocpi.render import token_to_ocpi
from tests.locations.factories import location_with_evses
from tests.sessions.factories import cached_token, charger, start_body
from tests.stub_server import envelope
from tests.tariffs.factories import TariffFactory
from tests.tokens.factories import TokenFactory

pytestmark = pytest.mark.django_db

LOCATIONS = "/ocpi/2.2.1/emsp/locations"
YEAR = {"date_from": datetime(2024, 1, 1, tzinfo=UTC), "date_to": datetime(2025, 1, 1, tzinfo=UTC)}


def wire(data: dict) -> dict:
    """OCPI JSON as it travels (Decimals as the renderer writes them)."""
    return json.loads(dumps(data))


def rows(run):
    return sorted(
        (d.kind, d.object_id.split("/", 2)[-1], d.field, d.our_value if d.field else None,
         d.their_value if d.field else None, d.action, d.repair_outcome)
        for d in Difference.objects.filter(run=run)
    )  # fmt: skip


@pytest.fixture
def emsp(stub_partner):
    return stub_partner("DE", "MSP", "EMSP", [("locations", "RECEIVER", LOCATIONS)])


def test_locations_missing_or_differing_at_the_emsp_are_repushed_to_it_alone(
    stub_server, stub_partner, emsp, django_capture_on_commit_callbacks
):
    other = stub_partner("FR", "OTH", "EMSP", [("locations", "RECEIVER", "/other/locations")])
    same, lost, changed, flying, newer = (location_with_evses(location_id=i, evses=1, connectors=1) for i in "ABCDE")
    for location in (same, changed, newer):
        copy = wire(location_to_ocpi(location))
        if location is changed:
            copy["evses"][0]["status"] = "CHARGING"
            copy["evses"].append({**copy["evses"][0], "uid": "GHOST", "status": "AVAILABLE"})  # one we never had
        if location is newer:
            copy["evses"][0]["status"], copy["last_updated"] = "OUTOFORDER", "2024-03-01T00:00:00Z"
        stub_server.route("GET", f"{LOCATIONS}/NL/EXA/{location.location_id}", (200, envelope(copy), {}))
    for location in (lost, changed):
        stub_server.route("PUT", f"{LOCATIONS}/NL/EXA/{location.location_id}", (200, envelope(), {}))
    in_flight = OutboxMessage.objects.create(
        partner=emsp, module="locations", object_key="NL/EXA/D", method="PUT", path="NL/EXA/D", body={},
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        run = reconciliation_run(partner_id=emsp.pk, module="locations", repair=True, **YEAR)

    assert rows(run) == [
        ("differs_at_partner", "C", "evses[C-E1].status", "AVAILABLE", "CHARGING", "repush", "queued"),
        ("differs_at_partner", "C", "evses[GHOST].status", None, "AVAILABLE", "repush", "queued"),
        ("differs_at_partner", "E", "evses[E-E1].status", "AVAILABLE", "OUTOFORDER", "review", ""),
        ("differs_at_partner", "E", "last_updated", "2024-01-01T12:00:00Z", "2024-03-01T00:00:00Z", "review", ""),
        ("missing_at_partner", "B", "", None, None, "repush", "queued"),
        ("missing_at_partner", "D", "", None, None, "review", ""),
    ]
    assert run.notes == [
        "the partner publishes no locations Sender: nothing to compare with its list",
        "5 of 5 of our own locations were read back at the partner's Receiver",
        "1 of them have a push pending in the outbox: in flight, to review, not pushed twice",
    ]
    assert (run.differences_found, run.repaired) == (6, 3)
    # The repair is a full PUT of our current object, kept in the outbox until the eMSP confirmed it.
    repushed = OutboxMessage.objects.exclude(pk=in_flight.pk)
    assert sorted((m.partner_id, m.method, m.object_key, m.status) for m in repushed) == [
        (emsp.pk, "PUT", "NL/EXA/B", "delivered"),
        (emsp.pk, "PUT", "NL/EXA/C", "delivered"),
    ]
    assert not OutboxMessage.objects.filter(partner=other).exists()
    [put] = stub_server.calls("PUT", f"{LOCATIONS}/NL/EXA/B")
    assert put.json() == wire(location_to_ocpi(lost))
    assert put.json()["evses"][0]["connectors"][0]["id"] == "1"  # the whole object, EVSEs and connectors
    assert OutboxMessage.objects.get(pk=in_flight.pk).status == "pending"  # in flight: not pushed twice


def test_the_readback_reads_our_side_in_the_same_queries_whatever_the_number_of_objects(stub_server, emsp):
    def reads(count: int) -> int:
        for i in range(count):
            location_with_evses(location_id=f"Q{count}-{i}", evses=2, connectors=1)
        with CaptureQueriesContext(connection) as captured:
            findings, _ = own_objects_check(partner_id=emsp.pk, module="locations", **YEAR)
        assert len(findings) == len(stub_server.requests) and {f.kind for f in findings} == {"missing_at_partner"}
        stub_server.requests.clear()
        # The outbound client logs each call (traffic log, partner's last failure): its writes, not our reads.
        return sum(q["sql"].startswith("SELECT") for q in captured)

    assert reads(2) == reads(8) == 7  # endpoint, objects, EVSE statuses, outbox, the client (partner, 2 roles)


def test_a_partner_without_a_receiver_for_the_module_is_not_asked(stub_server, emsp):
    TariffFactory(tariff_id="T1")

    run = reconciliation_run(partner_id=emsp.pk, module="tariffs", repair=True, **YEAR)

    assert run.differences_found == 0 and not stub_server.requests
    assert run.notes == [
        "the partner publishes no tariffs Sender: nothing to compare with its list",
        "the partner publishes no tariffs Receiver: our own tariffs were not read back",
    ]


def test_tariffs_missing_at_the_emsp_are_repushed_whole(stub_server, stub_partner):
    emsp = stub_partner("DE", "MSP", "EMSP", [("tariffs", "RECEIVER", "/emsp/tariffs")])
    kept, lost = TariffFactory(tariff_id="T1"), TariffFactory(tariff_id="T2")
    stub_server.route("GET", "/emsp/tariffs/NL/EXA/T1", (200, envelope(wire(tariff_to_ocpi(kept))), {}))
    stub_server.route("GET", "/emsp/tariffs/NL/EXA/T2", (404, envelope(status_code=2000, message="Unknown"), {}))

    run = reconciliation_run(partner_id=emsp.pk, module="tariffs", repair=True, **YEAR)

    assert rows(run) == [("missing_at_partner", "T2", "", None, None, "repush", "queued")]
    [message] = OutboxMessage.objects.filter(partner=emsp)
    assert (message.method, message.path, message.body) == ("PUT", "NL/EXA/T2", wire(tariff_to_ocpi(lost)))


def test_tokens_are_read_back_with_their_type_and_repushed_to_the_cpo(stub_server, stub_partner):
    cpo = stub_partner("DE", "CPO", "CPO", [("tokens", "RECEIVER", "/cpo/tokens")])
    year = {"date_from": timezone.now() - timedelta(days=1), "date_to": timezone.now() + timedelta(days=1)}
    blocked, lost = TokenFactory(uid="A1", valid=False), TokenFactory(uid="B2", type="APP_USER")
    theirs = {**wire(token_to_ocpi(blocked)), "valid": True}  # the block never reached the CPO
    stub_server.route("GET", "/cpo/tokens/NL/EXA/A1", (200, envelope(theirs), {}))
    stub_server.route("GET", "/cpo/tokens/NL/EXA/B2", (200, envelope(status_code=2004, message="Unknown Token"), {}))

    run = reconciliation_run(partner_id=cpo.pk, module="tokens", repair=True, **year)

    assert rows(run) == [
        ("differs_at_partner", "A1/RFID", "valid", False, True, "repush", "queued"),
        ("missing_at_partner", "B2/APP_USER", "", None, None, "repush", "queued"),
    ]
    assert sorted(r.query for r in stub_server.requests) == ["type=APP_USER", "type=RFID"]
    messages = OutboxMessage.objects.filter(partner=cpo).order_by("object_key")
    assert [(m.method, m.path, m.body) for m in messages] == [
        ("PUT", "NL/EXA/A1?type=RFID", wire(token_to_ocpi(blocked))),
        ("PUT", "NL/EXA/B2?type=APP_USER", wire(token_to_ocpi(lost))),
    ]


def test_report_filters_and_csv_show_the_new_kinds_and_action(admin_client, stub_server, emsp):
    location_with_evses(location_id="LOST", evses=1, connectors=1)
    run = reconciliation_run(partner_id=emsp.pk, module="locations", **YEAR)

    page = admin_client.get(f"/admin/reconciliation/reconciliationrun/{run.pk}/report/?kind=missing_at_partner")
    assert [d.object_id for d in page.context["differences"]] == ["NL/EXA/LOST"]
    assert ("repush", "PUT our current object to the partner again") in page.context["filters"]["action"]
    assert "Ours, missing at the partner" in page.content.decode()
    response = admin_client.get(f"/admin/reconciliation/reconciliationrun/{run.pk}/csv/?action=repush")
    [row] = csv.DictReader(io.StringIO(response.content.decode()))
    assert (row["kind"], row["object_id"], row["suggested_action"]) == ("missing_at_partner", "NL/EXA/LOST", "repush")


def test_own_sessions_are_read_back_at_their_emsp_only_and_repushed_whole(
    client, stub_server, stub_partner, django_user_model
):
    emsp = stub_partner("DE", "MSP", "EMSP", [("sessions", "RECEIVER", "/emsp/sessions")])
    other = stub_partner("DE", "OTH", "EMSP", [("sessions", "RECEIVER", "/other/sessions")])
    cached_token(uid="CARD1", partner=emsp)
    cached_token(uid="CARD2", party_id="OTH", partner=other)
    charger(internal_id="CP-1")
    charger(internal_id="CP-2")
    key = api_key_create(user=django_user_model.objects.create_user("csms", is_staff=True), name="CSMS")[1]
    for body in (start_body("TX1"), start_body("TX2", token="CARD2", charger_id="CP-2")):
        response = client.post(
            "/api/v1/sessions", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
        )
        assert response.status_code in (200, 201), response.content
    OutboxMessage.objects.update(status="delivered")  # both PUTs confirmed; the eMSP lost its copy since
    ours = ChargingSession.objects.get(emsp_partner=emsp)
    today = {"date_from": timezone.now() - timedelta(days=1), "date_to": timezone.now() + timedelta(days=1)}

    run = reconciliation_run(partner_id=emsp.pk, module="sessions", repair=True, **today)

    assert rows(run) == [("missing_at_partner", ours.session_id, "", None, None, "repush", "queued")]
    assert [r.path for r in stub_server.requests] == [f"/emsp/sessions/NL/EXA/{ours.session_id}"]  # not the other's
    [message] = OutboxMessage.objects.filter(status="pending")
    assert (message.partner_id, message.method, message.body) == (emsp.pk, "PUT", jsonable(session_to_ocpi(ours)))
