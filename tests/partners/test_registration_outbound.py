"""We register with a partner (credentials.asciidoc, steps 2-7), from the admin, the command or a task."""

import base64

import pytest
import requests

from roaming.core.exceptions import EndpointsMissing, PartnerUnreachable, StateConflict, VersionMismatch
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import PartnerToken
from roaming.partners.services import (
    partner_create_outbound,
    partner_register_outbound,
    partner_rotate_credentials,
    partner_unregister,
)
from tests.stub_server import envelope

PARTNER_ROLES = [{"role": "CPO", "country_code": "NL", "party_id": "ABC", "business_details": {"name": "ABC Charging"}}]


def b64(token):
    return "Token " + base64.b64encode(token.encode()).decode()


@pytest.fixture
def our_base(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    return live_server.url


def accepting_partner(stub, *, token_c="token-c-from-partner", seen=None):
    """The stub registers us like a real peer: it GETs our versions with the token B we sent, then answers C."""

    def handle(request):
        body = request.json()
        check = requests.get(body["url"], headers={"Authorization": b64(body["token"])}, timeout=5)
        if seen is not None:
            seen.append((body["token"], check.status_code))
        if check.status_code != 200:
            return 200, envelope(status_code=3001, message="cannot read your versions")
        return 200, envelope({"token": token_c, "url": f"{stub.url}/ocpi/versions", "roles": PARTNER_ROLES})

    stub.serve_ocpi_peer(modules=("credentials", "locations"))
    stub.route("POST", "/ocpi/2.2.1/credentials", handle)


@pytest.mark.django_db(transaction=True)
def test_register_with_partner_end_to_end_against_a_peer_that_calls_back(stub_server, our_base):
    seen = []
    accepting_partner(stub_server, seen=seen)
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="token-a-they-gave")

    partner = partner_register_outbound(partner=partner)

    assert partner.status == PartnerStatus.REGISTERED
    assert partner.name == "ABC Charging"
    assert partner.their_token == "token-c-from-partner"
    assert [str(r) for r in partner.roles.all()] == ["NL/ABC CPO"]
    # Token A was used for versions, details and the POST; token B answered the partner's call-back with 200.
    assert {r.headers["Authorization"] for r in stub_server.requests} == {b64("token-a-they-gave")}
    assert seen and seen[0][1] == 200
    token_b = seen[0][0]
    assert requests.get(f"{our_base}/ocpi/2.2.1", headers={"Authorization": b64(token_b)}, timeout=5).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_token_b_is_limited_to_versions_and_credentials_during_the_handshake(stub_server, our_base):
    seen = []

    def handle(request):
        body = request.json()
        # Mid-handshake, token B opens our versions but no functional module (it is not registered yet).
        probe = requests.get(f"{our_base}/ocpi/2.2.1/cpo/locations", headers={"Authorization": b64(body["token"])})
        seen.append(probe.status_code)
        return 200, envelope({"token": "c", "url": f"{stub_server.url}/ocpi/versions", "roles": PARTNER_ROLES})

    stub_server.serve_ocpi_peer()
    stub_server.route("POST", "/ocpi/2.2.1/credentials", handle)
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")
    partner_register_outbound(partner=partner)
    assert seen == [401]


@pytest.mark.django_db
def test_refused_post_revokes_token_b_and_keeps_state(stub_server):
    stub_server.serve_ocpi_peer()
    stub_server.route("POST", "/ocpi/2.2.1/credentials", (200, envelope(status_code=3001, message="nope")))
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")

    with pytest.raises(PartnerUnreachable, match="nope"):
        partner_register_outbound(partner=partner)

    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERING
    assert not PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True).exists()
    assert partner.events.filter(success=False).exists()
    assert "nope" in partner.last_error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s: None, PartnerUnreachable),
        (lambda s: s.serve_ocpi_peer(versions=("2.1.1",)), VersionMismatch),
        (lambda s: s.serve_ocpi_peer(modules=("locations",)), EndpointsMissing),
    ],
)
def test_discovery_failures_do_not_post(stub_server, setup, error):
    setup(stub_server)
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")
    with pytest.raises(error):
        partner_register_outbound(partner=partner)
    assert not stub_server.calls("POST", "/ocpi/2.2.1/credentials")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERING


@pytest.mark.django_db
def test_invalid_credentials_in_the_answer_fail_the_registration(stub_server):
    stub_server.serve_ocpi_peer()
    stub_server.route("POST", "/ocpi/2.2.1/credentials", (200, envelope({"token": "c", "url": "x", "roles": []})))
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")
    with pytest.raises(PartnerUnreachable):
        partner_register_outbound(partner=partner)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERING


@pytest.mark.django_db(transaction=True)
def test_rotate_and_unregister(stub_server, our_base):
    accepting_partner(stub_server)
    partner = partner_register_outbound(
        partner=partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")
    )
    old_b = PartnerToken.objects.get(partner=partner, revoked_at__isnull=True)

    stub_server.route(
        "PUT",
        "/ocpi/2.2.1/credentials",
        lambda r: (200, envelope({"token": "c2", "url": f"{stub_server.url}/ocpi/versions", "roles": PARTNER_ROLES})),
    )
    partner = partner_rotate_credentials(partner=partner)

    put = stub_server.calls("PUT", "/ocpi/2.2.1/credentials")[0]
    assert put.headers["Authorization"] == b64("token-c-from-partner")
    assert partner.their_token == "c2"
    old_b.refresh_from_db()
    assert old_b.revoked_at is not None
    new_b = put.json()["token"]
    assert requests.get(f"{our_base}/ocpi/2.2.1", headers={"Authorization": b64(new_b)}).status_code == 200

    stub_server.route("DELETE", "/ocpi/2.2.1/credentials", (200, envelope()))
    partner = partner_unregister(partner=partner)
    assert partner.status == PartnerStatus.UNREGISTERED
    assert stub_server.calls("DELETE", "/ocpi/2.2.1/credentials")[0].headers["Authorization"] == b64("c2")
    assert requests.get(f"{our_base}/ocpi/2.2.1", headers={"Authorization": b64(new_b)}).status_code == 401
    with pytest.raises(StateConflict):
        partner_rotate_credentials(partner=partner)


@pytest.mark.django_db
def test_failed_rotation_keeps_the_old_tokens(stub_server, registered_partner):
    partner, token = registered_partner
    partner.endpoints.create(identifier="credentials", role="SENDER", url=f"{stub_server.url}/ocpi/2.2.1/credentials")
    stub_server.route("PUT", "/ocpi/2.2.1/credentials", (500, b"boom"))
    with pytest.raises(PartnerUnreachable):
        partner_rotate_credentials(partner=partner)
    partner.refresh_from_db()
    assert partner.their_token == "their-token"
    assert PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_unregister_failure_keeps_partner_registered(stub_server, registered_partner):
    partner, _ = registered_partner
    partner.endpoints.create(identifier="credentials", role="SENDER", url=f"{stub_server.url}/ocpi/2.2.1/credentials")
    stub_server.route("DELETE", "/ocpi/2.2.1/credentials", (500, b"down"))
    with pytest.raises(PartnerUnreachable):
        partner_unregister(partner=partner)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED


@pytest.mark.django_db(transaction=True)
def test_register_partner_command(stub_server, our_base, capsys):
    from django.core.management import call_command

    accepting_partner(stub_server)
    call_command("register_partner", "--versions-url", f"{stub_server.url}/ocpi/versions", "--token", "a")
    assert "Registered with ABC Charging on OCPI 2.2.1: NL/ABC CPO" in capsys.readouterr().out


@pytest.mark.django_db
def test_register_partner_command_reports_failure(stub_server):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="Registration failed"):
        call_command("register_partner", "--versions-url", f"{stub_server.url}/ocpi/versions", "--token", "a")
