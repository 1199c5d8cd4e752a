"""A partner registers with us: POST/PUT/DELETE/GET on our credentials endpoint (credentials.asciidoc)."""

import pytest

from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner, PartnerEndpoint, PartnerEvent, PartnerRole
from roaming.partners.services import partner_invite
from tests.conftest import auth
from tests.stub_server import envelope

CREDENTIALS_URL = "/ocpi/2.2.1/credentials"
pytestmark = pytest.mark.django_db


def credentials_body(stub, token="token-b-from-partner", roles=None):
    return {
        "token": token,
        "url": f"{stub.url}/ocpi/versions",
        "roles": roles
        or [{"role": "EMSP", "country_code": "DE", "party_id": "MSP", "business_details": {"name": "Mobility DE"}}],
    }


def post(client, body, token, method="post"):
    return getattr(client, method)(CREDENTIALS_URL, data=body, content_type="application/json", **auth(token))


@pytest.fixture
def invited():
    return partner_invite(name="Mobility DE")


def test_registration_stores_partner_issues_token_c_and_kills_token_a(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer(modules=("credentials", "locations", "tariffs"))

    response = post(client, credentials_body(stub_server), token_a)

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000
    token_c = body["data"]["token"]
    assert token_c != token_a
    assert body["data"]["url"].endswith("/ocpi/versions")
    assert {r["role"] for r in body["data"]["roles"]} == {"CPO", "EMSP"}
    # We called its versions and details with ITS token (B), Base64-encoded.
    versions_call = stub_server.calls("GET", "/ocpi/versions")[0]
    assert versions_call.headers["Authorization"] == "Token dG9rZW4tYi1mcm9tLXBhcnRuZXI="
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert partner.version == "2.2.1"
    assert partner.their_token == "token-b-from-partner"
    assert "token-b-from-partner" not in partner.their_token_encrypted  # encrypted at rest
    assert list(PartnerRole.objects.filter(partner=partner).values_list("country_code", "party_id", "role")) == [
        ("DE", "MSP", "EMSP")
    ]
    assert set(PartnerEndpoint.objects.filter(partner=partner).values_list("identifier", flat=True)) == {
        "credentials",
        "locations",
        "tariffs",
    }
    # Token A is dead (even on versions); token C opens version details.
    assert client.get("/ocpi/versions", **auth(token_a)).status_code == 401
    assert client.get("/ocpi/2.2.1", **auth(token_c)).status_code == 200


def test_post_when_already_registered_is_405_and_changes_nothing(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]

    again = post(client, credentials_body(stub_server, token="another"), token_c)

    assert again.status_code == 405
    assert again.json()["status_code"] == 2000
    partner.refresh_from_db()
    assert partner.their_token == "token-b-from-partner"
    assert client.get("/ocpi/2.2.1", **auth(token_c)).status_code == 200


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_or_delete_before_registration_is_405(client, invited, method):
    partner, token_a = invited
    response = post(client, {}, token_a, method=method)
    assert response.status_code == 405
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_unreachable_versions_is_3001_and_leaves_partner_invited(client, invited):
    partner, token_a = invited
    body = {**credentials_body(type("S", (), {"url": "http://127.0.0.1:9"})())}

    response = post(client, body, token_a)

    assert response.status_code == 200
    assert response.json()["status_code"] == 3001
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED
    assert not PartnerRole.objects.filter(partner=partner).exists()
    assert client.get("/ocpi/versions", **auth(token_a)).status_code == 200  # token A still usable
    assert PartnerEvent.objects.filter(partner=partner, success=False).exists()


def test_versions_answering_an_error_is_3001(client, stub_server, invited):
    partner, token_a = invited
    stub_server.route("GET", "/ocpi/versions", (401, envelope(status_code=2000, message="bad token")))
    response = post(client, credentials_body(stub_server), token_a)
    assert response.json()["status_code"] == 3001
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_no_mutual_version_is_3002(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer(versions=("2.1.1", "2.2"))
    response = post(client, credentials_body(stub_server), token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 3002
    assert "2.1.1" in response.json()["status_message"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_missing_credentials_endpoint_is_3003(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer(modules=("locations",))
    response = post(client, credentials_body(stub_server), token_a)
    assert response.json()["status_code"] == 3003
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED
    assert not PartnerEndpoint.objects.filter(partner=partner).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://x/versions", "roles": []}, "token"),
        ({"token": "t", "url": "ftp://x", "roles": []}, "url"),
        ({"token": "t", "url": "http://x/versions", "roles": []}, "roles"),
        (
            {
                "token": "t",
                "url": "http://x/versions",
                "roles": [{"role": "BOSS", "country_code": "DE", "party_id": "X", "business_details": {"name": "n"}}],
            },
            "roles[0].role",
        ),
        (
            {
                "token": "t",
                "url": "http://x/versions",
                "roles": [{"role": "CPO", "country_code": "DEU", "party_id": "X", "business_details": {"name": "n"}}],
            },
            "roles[0].country_code",
        ),
        (
            {
                "token": "t",
                "url": "http://x/versions",
                "roles": [{"role": "CPO", "country_code": "DE", "party_id": "X", "business_details": {}}],
            },
            "roles[0].business_details.name",
        ),
    ],
)
def test_invalid_credentials_object_is_2001_naming_the_field(client, invited, body, field):
    partner, token_a = invited
    response = post(client, body, token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith(f"{field}:")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_roles_held_by_another_partner_are_refused(client, stub_server, invited, registered_partner):
    partner, token_a = invited  # registered_partner already holds DE/MSP EMSP
    stub_server.serve_ocpi_peer()
    response = post(client, credentials_body(stub_server), token_a)
    assert response.json()["status_code"] == 2001
    assert "already registered by another partner" in response.json()["status_message"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED


def test_put_rotates_token_rediscovers_endpoints_and_kills_old_token(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer(modules=("credentials",))
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]
    stub_server.serve_ocpi_peer(modules=("credentials", "sessions", "cdrs"))

    response = post(client, credentials_body(stub_server, token="rotated-b"), token_c, method="put")

    assert response.status_code == 200
    new_c = response.json()["data"]["token"]
    assert new_c != token_c
    partner.refresh_from_db()
    assert partner.their_token == "rotated-b"
    assert set(partner.endpoints.values_list("identifier", flat=True)) == {"credentials", "sessions", "cdrs"}
    assert client.get("/ocpi/2.2.1", **auth(new_c)).status_code == 200
    # The partner has used the new token: the old one dies (until then it had a grace period).
    assert client.get("/ocpi/2.2.1", **auth(token_c)).status_code == 401


def test_put_failing_discovery_keeps_old_credentials(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]
    response = post(client, {**credentials_body(stub_server), "url": "http://127.0.0.1:9/versions"}, token_c, "put")
    assert response.json()["status_code"] == 3001
    partner.refresh_from_db()
    assert partner.their_token == "token-b-from-partner"
    assert client.get("/ocpi/2.2.1", **auth(token_c)).status_code == 200


def test_delete_unregisters_and_revokes_tokens(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]

    response = client.delete(CREDENTIALS_URL, **auth(token_c))

    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    assert "data" not in response.json()
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.UNREGISTERED
    assert partner.their_token == ""
    assert client.get("/ocpi/versions", **auth(token_c)).status_code == 401


def test_get_returns_our_credentials_with_the_callers_token(client, registered_partner):
    _, token = registered_partner
    response = client.get(CREDENTIALS_URL, **auth(token))
    data = response.json()["data"]
    assert data["token"] == token
    assert data["roles"][0]["country_code"] == "NL"
    assert data["url"] == "http://127.0.0.1:8000/ocpi/versions"


def test_plain_token_is_accepted(client, registered_partner):
    _, token = registered_partner
    assert client.get(CREDENTIALS_URL, **auth(token, encoding="plain")).status_code == 200


def test_invite_command_prints_token_once_and_json(capsys):
    from django.core.management import call_command

    call_command("invite_partner", "--name", "Charge Co", "--json")
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["versions_url"] == "http://127.0.0.1:8000/ocpi/versions"
    partner = Partner.objects.get(pk=out["partner_id"])
    assert partner.status == PartnerStatus.INVITED
    assert out["token"] not in str(list(partner.tokens.values_list("digest", flat=True)))
