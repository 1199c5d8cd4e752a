"""Commands admin in a real browser: the list of both sides fits a 1,400 px screen, and support staff send a
command for a driver on the phone from a form that picks the connector and takes the driver's token."""

import datetime as dt

from django.utils import timezone

from roaming.commands.models import Command
from tests.commands.conftest import CPO_COMMANDS
from tests.locations.factories import ConnectorFactory, EVSEFactory, ReceivedLocationFactory
from tests.partners.factories import registered_partner_with_token
from tests.sessions.conftest import PrefixRoutes
from tests.stub_server import envelope
from tests.tokens.factories import TokenFactory


def cpo_with_a_connector(stub_server):
    partner, _ = registered_partner_with_token(
        country_code="BE",
        party_id="BEC",
        role="CPO",
        endpoints=[("commands", "RECEIVER", f"{stub_server.url}{CPO_COMMANDS}")],
    )
    location = ReceivedLocationFactory(location_id="LOC-BE", name="Brussels Midi", source_partner=partner)
    ConnectorFactory(evse=EVSEFactory(location=location, uid="BE-E1", evse_id="BE*BEC*E1"), connector_id="1")
    stub_server.routes = PrefixRoutes()
    stub_server.route("POST", f"{CPO_COMMANDS}/*", (200, envelope({"result": "ACCEPTED", "timeout": 30})))
    return partner


def test_the_list_fits_the_screen(staff_page, superuser, stub_server):
    partner = cpo_with_a_connector(stub_server)
    now = timezone.now()
    Command.objects.create(
        role="EMSP",
        type="UNLOCK_CONNECTOR",
        partner=partner,
        status="DONE",
        request={},
        response_url="https://backoffice.example.com/ocpi/2.2.1/emsp/commands/UNLOCK_CONNECTOR/" + "x" * 32,
        location_id="LOC-BRUSSELS-MIDI-0001",
        evse_uid="BE-BEC-EVSE-000000001",
        connector_id="1",
        token_uid="04A2B3C4D5E6F7A8B9",
        response_result="ACCEPTED",
        result="EVSE_INOPERATIVE",
        late_result=True,
        sent_at=now,
        responded_at=now + dt.timedelta(seconds=1),
        result_at=now + dt.timedelta(seconds=12),
    )
    page = staff_page(superuser)
    page.goto("/admin/commands/command/")
    # The themed admin puts the result table in a scrolling box: a list too wide is cut off there (as test_layout).
    cut = page.evaluate(
        "() => { const t = document.querySelector('#result_list'); const box = t.closest('[data-simplebar]');"
        " return Math.ceil(t.getBoundingClientRect().right - box.getBoundingClientRect().right); }"
    )
    assert cut <= 0, f"{cut} px of the list are cut off"
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.locator("td.field-result_display").inner_text() == "EVSE inoperative or faulted (late)"


def test_support_staff_start_a_session_for_a_driver(staff_page, superuser, stub_server):
    partner = cpo_with_a_connector(stub_server)
    TokenFactory(uid="CARD-77", type="RFID")
    page = staff_page(superuser)
    page.goto("/admin/commands/command/")
    page.click("#send-command")
    page.select_option("#id_command", "START_SESSION")
    page.fill("#id_token_uid", "CARD-77")
    page.select_option("#id_connector", label=f"{partner} · Brussels Midi · EVSE BE*BEC*E1 · connector 1")
    page.click("#send-command-form button[type=submit]")
    page.wait_for_url("**/admin/commands/command/*/change/")
    assert page.locator(".messagelist .success").inner_text() == "Start a session: Accepted by the CPO"
    command = Command.objects.get()
    assert (command.type, command.token_uid, command.evse_uid, command.requested_by) == (
        "START_SESSION",
        "CARD-77",
        "BE-E1",
        "boss",
    )
    sent = [r.json() for r in stub_server.requests if r.path == f"{CPO_COMMANDS}/START_SESSION"]
    assert [(b["location_id"], b["evse_uid"], b["connector_id"], b["token"]["uid"]) for b in sent] == [
        ("LOC-BE", "BE-E1", "1", "CARD-77")
    ]


def test_a_missing_token_is_shown_on_the_form(staff_page, superuser, stub_server):
    cpo_with_a_connector(stub_server)
    page = staff_page(superuser)
    page.goto("/admin/commands/command/send/")
    page.select_option("#id_command", "START_SESSION")
    page.click("#send-command-form button[type=submit]")
    assert "Give the driver's token." in page.locator("#send-command-form").inner_text()
    assert Command.objects.count() == 0
