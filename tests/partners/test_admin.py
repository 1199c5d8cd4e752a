"""The partner admin as staff use it: list, invite, register, actions, the partner page."""

import re

import pytest
from django.urls import reverse

from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner
from tests.conftest import auth
from tests.partners.test_registration_outbound import accepting_partner

pytestmark = pytest.mark.django_db


def test_changelist_shows_status_roles_version_and_onboarding_buttons(admin_client, registered_partner):
    partner, _ = registered_partner
    page = admin_client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert partner.name in page
    assert "registered" in page
    assert "DE/MSP EMSP" in page
    assert "2.2.1" in page
    assert reverse("admin:partners_partner_invite") in page
    assert reverse("admin:partners_partner_register") in page


def test_invite_page_shows_token_once_and_it_works(admin_client, client):
    url = reverse("admin:partners_partner_invite")
    assert "Create invitation" in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"name": "New eMSP", "website": ""})

    partner = Partner.objects.get(name="New eMSP")
    assert response.status_code == 302  # POST/redirect/GET
    assert response.url == reverse("admin:partners_partner_invitation", args=[partner.pk])
    page = admin_client.get(response.url).content.decode()
    token = re.search(r'<code id="token-a">([^<]+)</code>', page).group(1)
    assert 'id="versions-url">http://127.0.0.1:8000/ocpi/versions<' in page
    assert partner.status == PartnerStatus.INVITED
    assert client.get("/ocpi/versions", **auth(token)).status_code == 200
    # Reloading the partner page never shows the token again.
    assert token not in admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk])).content.decode()


def test_reloading_the_invitation_creates_nothing_and_does_not_show_the_token_again(admin_client):
    response = admin_client.post(reverse("admin:partners_partner_invite"), {"name": "Reload Energy"})
    first = admin_client.get(response.url).content.decode()
    token = re.search(r'<code id="token-a">([^<]+)</code>', first).group(1)

    again = admin_client.get(response.url).content.decode()  # the browser's reload is a GET now

    assert Partner.objects.filter(name="Reload Energy").count() == 1
    assert token not in again
    assert 'id="token-gone"' in again


def test_the_token_crosses_the_redirect_encrypted(admin_client):
    from django.contrib.sessions.models import Session

    response = admin_client.post(reverse("admin:partners_partner_invite"), {"name": "Sealed Energy"})
    stored = "".join(s.session_data for s in Session.objects.all())
    token = re.search(r'<code id="token-a">([^<]+)</code>', admin_client.get(response.url).content.decode()).group(1)
    assert token not in stored
    assert not any(token in str(s.get_decoded()) for s in Session.objects.all())


def test_inviting_a_second_partner_of_the_same_name_asks_first(admin_client):
    url = reverse("admin:partners_partner_invite")
    admin_client.post(url, {"name": "Twin Energy"})

    warned = admin_client.post(url, {"name": "twin energy"})

    assert warned.status_code == 200
    assert "already exists" in warned.content.decode()
    assert Partner.objects.filter(name__iexact="twin energy").count() == 1
    confirmed = admin_client.post(url, {"name": "twin energy", "create_anyway": "on"})
    assert confirmed.status_code == 302
    assert Partner.objects.filter(name__iexact="twin energy").count() == 2


@pytest.mark.django_db(transaction=True)
def test_register_page_runs_the_handshake_task(admin_client, stub_server, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    accepting_partner(stub_server)

    response = admin_client.post(
        reverse("admin:partners_partner_register"),
        {"versions_url": f"{stub_server.url}/ocpi/versions", "token": "token-a", "token_encoding": "base64"},
    )

    partner = Partner.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:partners_partner_change", args=[partner.pk])
    assert partner.status == PartnerStatus.REGISTERED  # eager task ran after commit
    page = admin_client.get(response.url).content.decode()
    assert "Registered with the partner on OCPI 2.2.1" in page
    assert "NL" in page and "ABC" in page
    assert "All OCPI calls with this partner" in page


def test_register_page_validates_input(admin_client):
    page = admin_client.post(reverse("admin:partners_partner_register"), {"versions_url": "nonsense", "token": ""})
    assert page.status_code == 200
    assert "Enter a valid URL" in page.content.decode()
    assert not Partner.objects.exists()


@pytest.mark.django_db(transaction=True)  # on_commit runs at once, as in production's autocommit requests
def test_failed_registration_is_visible_on_the_partner_page(admin_client, stub_server):
    response = admin_client.post(
        reverse("admin:partners_partner_register"),
        {"versions_url": f"{stub_server.url}/ocpi/versions", "token": "t", "token_encoding": "base64"},
        follow=True,
    )
    partner = Partner.objects.get()
    assert partner.status == PartnerStatus.REGISTERING
    assert partner.name == "127.0.0.1"  # known by its host until its credentials name it
    page = response.content.decode()
    assert "Registration failed:" in page  # the banner says what happened, not "started"
    assert "Registration started" not in page
    assert 'id="registration-failed"' in page
    assert "Retry registration" in page
    assert "Discovery failed" in page
    changelist = admin_client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert "failed" in changelist


@pytest.mark.django_db(transaction=True)
def test_retry_registers_once_the_partner_is_fixed(admin_client, stub_server, live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    admin_client.post(
        reverse("admin:partners_partner_register"),
        {"versions_url": f"{stub_server.url}/ocpi/versions", "token": "token-a", "token_encoding": "base64"},
    )
    partner = Partner.objects.get()
    assert partner.status == PartnerStatus.REGISTERING  # the stub answers nothing useful yet
    accepting_partner(stub_server)

    page = admin_client.post(
        reverse("admin:partners_partner_retry_registration", args=[partner.pk]), follow=True
    ).content.decode()

    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert "Registered with" in page
    assert 'id="registration-failed"' not in page


def test_retry_needs_the_change_permission(client, django_user_model, stub_server):
    from django.contrib.auth.models import Permission

    from roaming.partners.services import partner_create_outbound

    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="t")
    viewer = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_partner"))
    client.force_login(viewer)

    client.post(reverse("admin:partners_partner_retry_registration", args=[partner.pk]))

    assert not stub_server.requests  # no handshake was attempted


def test_suspend_and_reactivate_actions(admin_client, client, registered_partner):
    partner, token = registered_partner
    url = reverse("admin:partners_partner_changelist")
    admin_client.post(url, {"action": "action_suspend", "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.SUSPENDED
    assert client.get("/ocpi/2.2.1", **auth(token)).status_code == 401

    admin_client.post(url, {"action": "action_reactivate", "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert client.get("/ocpi/2.2.1", **auth(token)).status_code == 200


def test_rotate_action_skips_partners_in_the_wrong_state(admin_client):
    from roaming.partners.services import partner_invite

    partner, _ = partner_invite(name="Invited only")
    response = admin_client.post(
        reverse("admin:partners_partner_changelist"),
        {"action": "action_rotate", "_selected_action": [partner.pk]},
        follow=True,
    )
    assert "1 partner skipped: not in a state that allows it." in response.content.decode()
