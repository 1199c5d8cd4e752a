"""The partners app's credentials backend (roaming.partners.authentication)."""

import base64

import pytest

from roaming.core import crypto
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import PartnerToken
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def give(partner, token):
    PartnerToken.objects.create(partner=partner, kind=TokenKind.ACCESS, digest=crypto.token_digest(token), hint="x")


def test_a_dead_plain_reading_does_not_hide_a_live_base64_reading(client):
    live = PartnerFactory(name="Live")
    give(live, "abc")
    suspended = PartnerFactory(name="Suspended", status=PartnerStatus.SUSPENDED)
    encoded = base64.b64encode(b"abc").decode()  # "YWJj", which is also the suspended partner's plain token
    give(suspended, encoded)

    response = client.get("/ocpi/2.2.1/credentials", HTTP_AUTHORIZATION=f"Token {encoded}")

    assert response.status_code == 200
    assert response.json()["data"]["token"] == "abc"


def test_last_used_is_recorded(client):
    partner = PartnerFactory()
    give(partner, "tok")
    client.get("/ocpi/versions", HTTP_AUTHORIZATION="Token tok")
    assert PartnerToken.objects.get(partner=partner).last_used_at is not None
