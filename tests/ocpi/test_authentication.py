"""Credentials-token authentication (transport_and_format.asciidoc, Authorization header; credentials.asciidoc)."""

import base64

import pytest
from django.utils import timezone

from roaming.core import crypto
from roaming.ocpi.authentication import token_candidates
from roaming.ocpi.exceptions import Unauthorized
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import Partner, PartnerToken
from roaming.partners.services import partner_suspend
from tests.conftest import auth
from tests.partners.factories import PartnerFactory, issue_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]


def assert_401(response, message_part: str = ""):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status_code"] == 2000
    assert "data" not in body
    assert message_part in body["status_message"]


# --- Parsing the header -----------------------------------------------------------------------------------------


def test_candidates_plain_token_that_is_not_base64():
    assert token_candidates("Token abc-def_ghi") == [("abc-def_ghi", "plain")]


def test_candidates_base64_token_offers_both_readings():
    encoded = base64.b64encode(b"example-token").decode()

    assert encoded == "ZXhhbXBsZS10b2tlbg=="
    assert token_candidates(f"Token {encoded}") == [(encoded, "plain"), ("example-token", "base64")]


def test_candidates_ignore_base64_that_decodes_to_binary():
    encoded = base64.b64encode(b"\x00\x01\xfftoken").decode()

    assert token_candidates(f"Token {encoded}") == [(encoded, "plain")]


def test_candidates_accept_a_lower_case_scheme_and_extra_spaces():
    assert token_candidates("  token   abc  ") == [("abc", "plain")]


@pytest.mark.parametrize("header", ["Bearer abc", "Token", "Token ", "Basic dXNlcjpwYXNz", "Token " + "a" * 600, "abc"])
def test_candidates_refuse_malformed_headers(header):
    with pytest.raises(Unauthorized):
        token_candidates(header)


# --- Over HTTP ----------------------------------------------------------------------------------------------------


def test_missing_header_is_401_in_the_envelope(client, registered_partner):
    assert_401(client.get("/ocpi/test/data"), "Missing Authorization header")


@pytest.mark.urls("config.urls")
def test_versions_without_a_token_is_401_in_the_envelope(client):
    response = client.get("/ocpi/versions")

    assert_401(response, "Missing Authorization header")
    assert response.json()["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Token", "Token ", "Token " + "a" * 600, "Basic dXNlcjpwYXNz"],
    ids=["bearer", "no-token", "empty-token", "oversized", "basic"],
)
def test_malformed_header_is_401(client, registered_partner, header):
    assert_401(client.get("/ocpi/versions", HTTP_AUTHORIZATION=header), "Malformed Authorization header")


def test_wrong_token_is_401(client, registered_partner):
    assert_401(client.get("/ocpi/versions", **auth("not-a-token-we-issued")), "Unknown or revoked")
    assert_401(client.get("/ocpi/versions", **auth("not-a-token-we-issued", "plain")), "Unknown or revoked")


@pytest.mark.parametrize("encoding", ["plain", "base64"])
def test_plain_and_base64_tokens_are_both_accepted(client, registered_partner, encoding):
    partner, token = registered_partner

    response = client.get("/ocpi/test/locations", **auth(token, encoding))

    assert response.status_code == 200
    assert response.json()["data"]["partner_id"] == partner.pk


def test_a_plain_token_that_happens_to_be_valid_base64_is_still_found(client):
    partner = PartnerFactory()
    token = base64.b64encode(b"some-inner-text").decode()  # printable when decoded: two candidates
    PartnerToken.objects.create(partner=partner, kind=TokenKind.ACCESS, digest=crypto.token_digest(token))

    response = client.get("/ocpi/test/locations", **auth(token, "plain"))

    assert response.status_code == 200
    assert response.json()["data"]["partner_id"] == partner.pk


def test_successful_use_touches_last_used_at(client, registered_partner):
    partner, token = registered_partner

    client.get("/ocpi/versions", **auth(token))

    assert PartnerToken.objects.get(partner=partner).last_used_at is not None


def test_token_a_opens_versions_and_credentials(client, invited_partner):
    _, token_a = invited_partner

    assert client.get("/ocpi/versions", **auth(token_a)).status_code == 200
    assert client.get("/ocpi/2.2.1", **auth(token_a)).status_code == 200
    response = client.get("/ocpi/2.2.1/credentials", **auth(token_a))
    assert response.status_code == 200
    assert response.json()["data"]["token"] == token_a


@pytest.mark.parametrize("path", ["/ocpi/test/locations", "/ocpi/test/data", "/ocpi/test/events"])
def test_token_a_elsewhere_is_401(client, invited_partner, path):
    _, token_a = invited_partner

    assert_401(client.get(path, **auth(token_a)), "registration token (token A)")


def test_access_token_of_a_partner_we_are_registering_with_is_limited_like_token_a(client):
    partner = PartnerFactory(status=PartnerStatus.REGISTERING)
    token_b = issue_token(partner)

    assert client.get("/ocpi/versions", **auth(token_b)).status_code == 200
    assert_401(client.get("/ocpi/test/locations", **auth(token_b)), "token A")


def test_token_a_of_a_registered_partner_is_401(client):
    partner = PartnerFactory(status=PartnerStatus.REGISTERED)
    token_a = issue_token(partner, TokenKind.REGISTRATION)

    assert_401(client.get("/ocpi/versions", **auth(token_a)))


def test_suspended_partner_is_401(client, registered_partner):
    partner, token = registered_partner
    assert client.get("/ocpi/test/locations", **auth(token)).status_code == 200

    partner_suspend(partner=partner)

    assert_401(client.get("/ocpi/test/locations", **auth(token)))
    assert_401(client.get("/ocpi/versions", **auth(token)))


def test_unregistered_partner_is_401(client, registered_partner):
    partner, token = registered_partner
    Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.UNREGISTERED)

    assert_401(client.get("/ocpi/versions", **auth(token)))


def test_revoked_token_is_401(client, registered_partner):
    partner, token = registered_partner
    PartnerToken.objects.filter(partner=partner).update(revoked_at=timezone.now())

    assert_401(client.get("/ocpi/versions", **auth(token)), "Unknown or revoked")


def test_a_new_token_works_while_the_revoked_one_does_not(client, registered_partner):
    partner, old = registered_partner
    PartnerToken.objects.filter(partner=partner).update(revoked_at=timezone.now())
    new = issue_token(partner)

    assert client.get("/ocpi/versions", **auth(new)).status_code == 200
    assert_401(client.get("/ocpi/versions", **auth(old)))
