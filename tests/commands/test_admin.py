"""Commands admin: permissions on sending, the CPO's reservation cancellation action, display methods."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from roaming.commands.admin import CommandAdmin
from roaming.commands.models import Command
from roaming.locations.models import Connector
from tests.commands.conftest import reserve_body
from tests.commands.test_receiver import start_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("support", password="x", is_staff=True)


def test_sending_needs_the_add_permission(client, staff):
    client.force_login(staff)
    assert client.get("/admin/commands/command/send/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="add_command"))
    page = client.get("/admin/commands/command/send/")
    assert page.status_code == 200
    assert b"Send a command for a driver" in page.content


def test_a_domain_refusal_is_shown_on_the_form(client, admin_user, cpo_partner):
    client.force_login(admin_user)
    connector = Connector.objects.get(evse__uid="BE-E1")
    page = client.post(
        "/admin/commands/command/send/",
        {"command": "START_SESSION", "token_uid": "UNKNOWN", "token_type": "RFID", "connector": connector.pk},
    )
    assert page.status_code == 200
    assert "no token of ours with uid &#x27;UNKNOWN&#x27; (RFID)" in page.content.decode()
    assert Command.objects.count() == 0


def test_the_cpo_cancels_a_reservation_from_the_admin(
    client, admin_user, post, emsp, our_charger, django_capture_on_commit_callbacks
):
    _, token, stub = emsp
    post(token, "RESERVE_NOW", reserve_body(stub))
    command = Command.objects.get()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            "/admin/commands/command/",
            {"action": "cancel_reservation", "_selected_action": [command.pk]},
            follow=True,
        )
    assert "1 reservation(s) cancelled; the eMSPs are told." in page.content.decode()
    command.refresh_from_db()
    assert command.result == "CANCELED_RESERVATION"
    assert [r.json()["result"] for r in stub.requests if r.path == "/emsp/results/r1"] == [
        "ACCEPTED",
        "CANCELED_RESERVATION",
    ]
    # Again: refused with the reason, nothing sent.
    page = client.post(
        "/admin/commands/command/", {"action": "cancel_reservation", "_selected_action": [command.pk]}, follow=True
    )
    assert "this reservation is not active" in page.content.decode()


def test_display_methods():
    admin = CommandAdmin(Command, None)
    now = timezone.now()
    command = Command(
        role="CPO",
        type="UNLOCK_CONNECTOR",
        location_id="LOC1",
        evse_uid="E1",
        connector_id="2",
        status="TIMED_OUT",
        sent_at=now,
        responded_at=now + dt.timedelta(milliseconds=300),
        timed_out_at=now + dt.timedelta(seconds=60),
    )
    assert (admin.side(command), str(admin.target(command))) == ("received", "LOC1<br>E1 #2")
    assert admin.timing(command) == "0.3 s / timed out"
    assert admin.result_display(command) == "Timed out"
    command.result, command.late_result, command.status = "ACCEPTED", True, "DONE"
    assert admin.result_display(command) == "Accepted by the charger (late)"
    assert admin.target(Command(session_id="S-9")) == "session S-9"


def test_the_detail_page_links_the_session_a_command_started(client, admin_user, post, emsp, our_charger):
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    command = Command.objects.get()
    client.force_login(admin_user)
    page = client.get(f"/admin/commands/command/{command.pk}/change/").content.decode()
    session = command.charging_session
    assert (
        f'<a href="/admin/charging_sessions/chargingsession/{session.pk}/change/">{session.session_id} (Active' in page
    )
