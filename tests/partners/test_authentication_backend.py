"""The partners app's credentials backend (roaming.partners.authentication)."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

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


def test_one_statement_resolves_token_partner_and_every_role(django_assert_num_queries):
    from roaming.ocpi.authentication import credentials_backend
    from tests.partners.factories import PartnerRoleFactory

    partner = PartnerFactory(name="Two roles", version="2.2.1")
    PartnerRoleFactory(partner=partner, country_code="NL", party_id="TWO", role="EMSP")
    PartnerRoleFactory(partner=partner, country_code="BE", party_id="ONE", role="CPO")
    give(partner, "tok")
    credentials_backend().authenticate([("tok", "plain")])  # first use: touches last_used_at

    with django_assert_num_queries(1):
        caller = credentials_backend().authenticate([("tok", "plain"), ("other", "base64")])

    assert (caller.partner_id, caller.partner_name, caller.token_kind) == (partner.pk, "Two roles", "C")
    assert caller.version == "2.2.1"
    assert caller.roles == (("BE", "ONE", "CPO"), ("NL", "TWO", "EMSP"))
    assert caller.parties == frozenset({("BE", "ONE"), ("NL", "TWO")})


def test_a_partner_without_roles_still_authenticates():
    from roaming.ocpi.authentication import credentials_backend

    partner = PartnerFactory(name="No roles yet")
    give(partner, "tok")
    caller = credentials_backend().authenticate([("tok", "plain")])
    assert (caller.partner_id, caller.roles, caller.parties) == (partner.pk, (), frozenset())


def test_a_revoked_token_or_a_suspended_partner_is_refused_on_the_next_call(client):
    partner = PartnerFactory()
    give(partner, "tok")
    assert client.get("/ocpi/versions", HTTP_AUTHORIZATION="Token tok").status_code == 200
    PartnerToken.objects.filter(partner=partner).update(revoked_at=timezone.now())
    assert client.get("/ocpi/versions", HTTP_AUTHORIZATION="Token tok").status_code == 401
    PartnerToken.objects.filter(partner=partner).update(revoked_at=timezone.now() + timedelta(minutes=5))
    assert client.get("/ocpi/versions", HTTP_AUTHORIZATION="Token tok").status_code == 200  # rotation grace
    partner.status = PartnerStatus.SUSPENDED
    partner.save()
    assert client.get("/ocpi/versions", HTTP_AUTHORIZATION="Token tok").status_code == 401
