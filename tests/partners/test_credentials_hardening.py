"""Credentials (credentials.asciidoc) against hostile or careless partners: types.asciidoc validation of the
Credentials object, a country_code/party_id unique across partners and roles (both directions), tokens redacted
in the traffic log, and 405 only for credentials misuse."""

import json

import pytest

from roaming.core.exceptions import PartnerUnreachable
from roaming.ocpi.models import TrafficLog
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import PartnerRole, PartnerToken
from roaming.partners.services import (
    partner_create_outbound,
    partner_invite,
    partner_register_outbound,
    partner_rotate_credentials,
)
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.partners.test_credentials_inbound import CREDENTIALS_URL, credentials_body, post
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited():
    return partner_invite(name="Mobility DE")


def role(cc="DE", pid="MSP", kind="EMSP", **business):
    return {"role": kind, "country_code": cc, "party_id": pid, "business_details": {"name": "Mobility", **business}}


@pytest.mark.parametrize(
    ("business", "field"),
    [
        (
            {"logo": {"url": "https://x.example/l.png", "category": "OPERATOR", "type": "png", "height": 1e308}},
            "height",
        ),
        ({"name": "n" * 101}, "roles[0].business_details.name"),
        ({"website": "not a url"}, "roles[0].business_details.website"),
        ({"website": "javascript:alert(1)"}, "roles[0].business_details.website"),
        ({"logo": {"url": "ftp://x.example/l.png", "category": "OPERATOR", "type": "png"}}, "logo.url"),
        ({"logo": {"url": "https://x.example/l.png", "category": "SELFIE", "type": "png"}}, "logo.category"),
        ({"logo": {"url": "https://x.example/l.png", "category": "OPERATOR", "type": "jpeg2"}}, "logo.type"),
        ({"logo": {"url": "https://x.example/l.png", "category": "OPERATOR", "type": "png", "width": -1}}, "width"),
    ],
)
def test_business_details_are_validated_as_types_asciidoc_defines(client, stub_server, invited, business, field):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    roles = [role(**business)]
    if "name" in business:
        roles[0]["business_details"]["name"] = business["name"]
    response = post(client, credentials_body(stub_server, roles=roles), token_a)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert field in response.json()["status_message"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED
    assert not stub_server.calls("GET", "/ocpi/versions")  # refused before any network call


def test_1e308_logo_height_on_put_is_2001_and_changes_nothing(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]
    logo = '{"url": "https://x.example/l.png", "category": "OPERATOR", "type": "png", "height": 1e308}'
    raw = json.dumps(credentials_body(stub_server, token="new-b")).replace(
        '"name": "Mobility DE"', f'"name": "M", "logo": {logo}'
    )
    assert "1e308" in raw
    response = client.put(CREDENTIALS_URL, data=raw, content_type="application/json", **auth(token_c))
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    partner.refresh_from_db()
    assert partner.their_token == "token-b-from-partner"


def test_a_valid_logo_is_stored_as_json(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    logo = {"url": "https://x.example/l.png", "category": "OPERATOR", "type": "png", "width": 512, "height": 512}
    response = post(client, credentials_body(stub_server, roles=[role(logo=logo)]), token_a)
    assert response.json()["status_code"] == 1000
    assert PartnerRole.objects.get(partner=partner).business_logo == logo


@pytest.mark.parametrize(
    ("held", "asked", "conflict"),
    [
        (("DE", "MSP", "EMSP"), ("DE", "MSP", "CPO"), "as EMSP"),  # same party, other role: still someone else's
        (("DE", "MSP", "CPO"), ("de", "msp", "EMSP"), "as CPO"),  # CiString: case does not make it another party
    ],
)
def test_inbound_post_refuses_a_party_another_partner_holds_in_any_role(
    client, stub_server, invited, held, asked, conflict
):
    registered_partner_with_token(country_code=held[0], party_id=held[1], role=held[2])
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    response = post(client, credentials_body(stub_server, roles=[role(*asked)]), token_a)
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == (
        f"roles[0]: {asked[0]}/{asked[1]} is already registered by another partner {conflict}".replace(
            f"{asked[0]}/{asked[1]}", f"{asked[0].upper()}/{asked[1].upper()}"
        )
    )
    assert not PartnerRole.objects.filter(partner=partner).exists()
    assert not stub_server.calls("GET", "/ocpi/versions")


def test_inbound_post_refuses_our_own_party(client, stub_server, invited, settings):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    response = post(
        client, credentials_body(stub_server, roles=[role(settings.OCPI_COUNTRY_CODE, "exa", "EMSP")]), token_a
    )
    assert response.json()["status_code"] == 2001
    assert "is our own party (CPO, EMSP)" in response.json()["status_message"]
    assert not PartnerRole.objects.filter(partner=partner).exists()


def test_inbound_put_refuses_a_party_another_partner_holds(client, stub_server, invited):
    registered_partner_with_token(country_code="FR", party_id="TAK", role="CPO")
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]
    body = credentials_body(stub_server, token="new-b", roles=[role(), role("FR", "TAK", "EMSP")])
    response = post(client, body, token_c, method="put")
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == "roles[1]: FR/TAK is already registered by another partner as CPO"
    partner.refresh_from_db()
    assert partner.their_token == "token-b-from-partner"
    assert list(partner.roles.values_list("party_id", flat=True)) == ["MSP"]
    assert client.get("/ocpi/2.2.1", **auth(token_c)).status_code == 200  # token C still valid


@pytest.mark.django_db(transaction=True)
def test_outbound_registration_refuses_a_partner_answering_with_a_taken_party(stub_server):
    registered_partner_with_token(country_code="NL", party_id="ABC", role="EMSP")
    stub_server.serve_ocpi_peer()
    answer = {"token": "c", "url": f"{stub_server.url}/ocpi/versions", "roles": [role("NL", "ABC", "CPO")]}
    stub_server.route("POST", "/ocpi/2.2.1/credentials", (200, envelope(answer)))
    partner = partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="a")
    with pytest.raises(PartnerUnreachable, match="NL/ABC is already registered by another partner as EMSP"):
        partner_register_outbound(partner=partner)
    partner.refresh_from_db()
    assert partner.status != PartnerStatus.REGISTERED
    assert not partner.roles.exists()
    assert not PartnerToken.objects.filter(partner=partner, revoked_at__isnull=True).exists()


def test_outbound_rotation_refuses_a_partner_answering_with_our_party(stub_server, settings):
    partner, _ = registered_partner_with_token(
        endpoints=[("credentials", "RECEIVER", f"{stub_server.url}/ocpi/2.2.1/credentials")]
    )
    answer = {
        "token": "c2",
        "url": f"{stub_server.url}/ocpi/versions",
        "roles": [role(settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID, "EMSP")],
    }
    stub_server.route("PUT", "/ocpi/2.2.1/credentials", (200, envelope(answer)))
    with pytest.raises(PartnerUnreachable, match="is our own party"):
        partner_rotate_credentials(partner=partner)
    partner.refresh_from_db()
    assert partner.their_token == "their-token"
    assert list(partner.roles.values_list("party_id", flat=True)) == ["MSP"]


def test_credentials_tokens_are_redacted_in_the_traffic_log_both_ways(client, stub_server, invited):
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    token_c = post(client, credentials_body(stub_server, token="secret-token-b"), token_a).json()["data"]["token"]
    rows = TrafficLog.objects.filter(module="credentials")
    assert rows.exists()
    for row in rows:
        assert "secret-token-b" not in row.request_body
        assert token_c not in row.response_body
    inbound = rows.get(direction=TrafficLog.Direction.INBOUND)
    assert '"token": "<redacted>"' in inbound.request_body
    assert '"token":"<redacted>"' in inbound.response_body


def test_outbound_credentials_tokens_are_redacted(stub_server, settings):
    partner, _ = registered_partner_with_token(
        endpoints=[("credentials", "RECEIVER", f"{stub_server.url}/ocpi/2.2.1/credentials")]
    )
    answer = {"token": "new-token-c-from-them", "url": f"{stub_server.url}/ocpi/versions", "roles": [role()]}
    stub_server.route("PUT", "/ocpi/2.2.1/credentials", (200, envelope(answer)))
    partner_rotate_credentials(partner=partner)
    sent_token = json.loads(stub_server.calls("PUT", "/ocpi/2.2.1/credentials")[0].body)["token"]
    row = TrafficLog.objects.get(direction=TrafficLog.Direction.OUTBOUND, module="credentials")
    assert sent_token not in row.request_body and "<redacted>" in row.request_body
    assert "new-token-c-from-them" not in row.response_body and "<redacted>" in row.response_body


def test_the_data_migration_purges_tokens_already_logged():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("roaming.ocpi.migrations.0006_redact_credentials_tokens_in_traffic_log")
    kept = TrafficLog.objects.create(
        direction="IN", method="GET", url="u", module="locations", request_body='{"token": "x"}'
    )
    cut = '{"url": "u", "token": "abcdef0123'  # cut by the body limit in the middle of the token
    logged = TrafficLog.objects.create(
        direction="IN",
        method="POST",
        url="u",
        module="credentials",
        request_body='{"token": "b-secret"}',
        response_body=cut,
    )
    migration.redact(apps, None)
    logged.refresh_from_db()
    kept.refresh_from_db()
    assert logged.request_body == '{"token": "<redacted>"}'
    assert "abcdef" not in logged.response_body
    assert kept.request_body == '{"token": "x"}'  # other modules' bodies carry no credentials token


# --- inbound rotation grace period ------------------------------------------------------------------------------


@pytest.fixture
def rotated(client, stub_server, invited):
    """A partner registered with token C, then rotated by PUT: (partner, old token C, new token C)."""
    partner, token_a = invited
    stub_server.serve_ocpi_peer()
    old_c = post(client, credentials_body(stub_server), token_a).json()["data"]["token"]
    new_c = post(client, credentials_body(stub_server, token="rotated-b"), old_c, method="put").json()["data"]["token"]
    return partner, old_c, new_c


def test_a_lost_put_reply_does_not_lock_the_partner_out(client, rotated):
    _, old_c, _ = rotated  # the partner never received new_c
    assert client.get("/ocpi/2.2.1", **auth(old_c)).status_code == 200
    assert client.get("/ocpi/2.2.1", **auth(old_c)).status_code == 200


def test_first_use_of_the_new_token_ends_the_grace_period(client, rotated):
    _, old_c, new_c = rotated
    assert client.get("/ocpi/2.2.1", **auth(new_c)).status_code == 200
    assert client.get("/ocpi/2.2.1", **auth(old_c)).status_code == 401
    assert client.get("/ocpi/2.2.1", **auth(new_c)).status_code == 200


def test_the_grace_period_ends(client, rotated):
    from datetime import timedelta

    from django.utils import timezone

    partner, old_c, new_c = rotated
    graced = PartnerToken.objects.get(partner=partner, revoked_at__isnull=False, revoked_at__gt=timezone.now())
    assert timedelta(seconds=290) < graced.revoked_at - timezone.now() <= timedelta(seconds=300)
    PartnerToken.objects.filter(pk=graced.pk).update(revoked_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/ocpi/2.2.1", **auth(old_c)).status_code == 401
    assert client.get("/ocpi/2.2.1", **auth(new_c)).status_code == 200


def test_unregistering_during_the_grace_period_kills_both_tokens(client, rotated):
    _, old_c, new_c = rotated
    assert client.delete(CREDENTIALS_URL, **auth(old_c)).status_code == 200
    assert client.get("/ocpi/versions", **auth(old_c)).status_code == 401
    assert client.get("/ocpi/versions", **auth(new_c)).status_code == 401
    assert not PartnerToken.objects.filter(revoked_at__isnull=True).exists()
