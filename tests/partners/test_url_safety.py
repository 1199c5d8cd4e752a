"""Issue 9: partner-supplied URLs are fetched over http(s) only, and with OCPI_REFUSE_PRIVATE_ADDRESSES on (as in
production) never on a private or loopback address, whichever side starts the registration."""

import pytest

from roaming.core.exceptions import PartnerUnreachable
from roaming.partners.choices import PartnerStatus
from roaming.partners.services import partner_create_outbound, partner_invite, partner_register_outbound
from tests.conftest import auth
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

ROLES = [{"role": "EMSP", "country_code": "DE", "party_id": "MSP", "business_details": {"name": "Mobility DE"}}]


def test_a_partner_registering_with_a_loopback_versions_url_is_refused(client, stub_server, settings):
    settings.OCPI_REFUSE_PRIVATE_ADDRESSES = True
    stub_server.serve_ocpi_peer()
    partner, token_a = partner_invite(name="Sneaky")
    body = {"token": "token-b", "url": f"{stub_server.url}/ocpi/versions", "roles": ROLES}

    response = client.post("/ocpi/2.2.1/credentials", data=body, content_type="application/json", **auth(token_a))

    assert response.status_code == 200
    assert response.json()["status_code"] == 3001
    assert "private or loopback address" in response.json()["status_message"]
    assert stub_server.requests == []  # nothing was fetched
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_registering_with_a_partner_on_a_private_address_is_refused(stub_server, settings):
    settings.OCPI_REFUSE_PRIVATE_ADDRESSES = True
    stub_server.serve_ocpi_peer()
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="token-a")

    with pytest.raises(PartnerUnreachable, match="private or loopback address"):
        partner_register_outbound(partner=partner)

    assert stub_server.requests == []


def test_the_same_registration_works_with_the_setting_off(client, stub_server, settings):
    settings.OCPI_REFUSE_PRIVATE_ADDRESSES = False
    stub_server.serve_ocpi_peer()
    _, token_a = partner_invite(name="Fine")
    body = {"token": "token-b", "url": f"{stub_server.url}/ocpi/versions", "roles": ROLES}

    response = client.post("/ocpi/2.2.1/credentials", data=body, content_type="application/json", **auth(token_a))

    assert response.json()["status_code"] == 1000


def test_an_endpoint_with_another_scheme_is_never_fetched(stub_server):
    stub_server.route("GET", "/ocpi/versions", (200, envelope([{"version": "2.2.1", "url": "file:///etc/passwd"}])))
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="token-a")

    with pytest.raises(PartnerUnreachable, match="only http and https"):
        partner_register_outbound(partner=partner)


def test_a_registration_error_does_not_echo_the_partners_internal_page(client, stub_server):
    stub_server.route("GET", "/ocpi/versions", (502, b"<html>upstream 10.20.30.40:8080 refused, build 7f3a</html>"))
    _, token_a = partner_invite(name="Behind a proxy")
    body = {"token": "token-b", "url": f"{stub_server.url}/ocpi/versions", "roles": ROLES}

    answer = client.post("/ocpi/2.2.1/credentials", data=body, content_type="application/json", **auth(token_a))

    message = answer.json()["status_message"]
    assert answer.json()["status_code"] == 3001
    assert "HTTP 502" in message
    assert "10.20.30.40" not in message and "upstream" not in message
