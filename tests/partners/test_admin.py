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

    page = admin_client.post(url, {"name": "New eMSP", "website": ""}).content.decode()

    token = re.search(r'<code id="token-a">([^<]+)</code>', page).group(1)
    assert 'id="versions-url">http://127.0.0.1:8000/ocpi/versions<' in page
    partner = Partner.objects.get(name="New eMSP")
    assert partner.status == PartnerStatus.INVITED
    assert client.get("/ocpi/versions", **auth(token)).status_code == 200
    # Reloading the partner page never shows the token again.
    assert token not in admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk])).content.decode()


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


def test_failed_registration_is_visible_on_the_partner_page(
    admin_client, stub_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:partners_partner_register"),
            {"versions_url": f"{stub_server.url}/ocpi/versions", "token": "t", "token_encoding": "base64"},
        )
    partner = Partner.objects.get()
    assert partner.status == PartnerStatus.REGISTERING
    page = admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk])).content.decode()
    assert "Discovery failed" in page
    changelist = admin_client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert "failed" in changelist


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
    assert "1 partner(s) skipped" in response.content.decode()
