"""The eMSP Sender interface of tokens (mod_tokens.asciidoc, Sender Interface): the paginated list and real-time
authorization ``POST {uid}/authorize[?type=]``, with the rule hook."""

import pytest

from roaming.ocpi.renderers import dumps
from roaming.tokens.models import IssuedAuthorization
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tokens.factories import TokenFactory

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/emsp/tokens"
RULES = "roaming.tokens.services.authorize.rule_token_valid"


@pytest.fixture
def cpo():
    return registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")


def authorize(client, token, uid, body=None, query=""):
    data = dumps(body) if body is not None else ""
    return client.post(f"{BASE}/{uid}/authorize{query}", data=data, content_type="application/json", **auth(token))


def test_list_is_paginated_with_date_filters_and_constant_queries(client, cpo, django_assert_max_num_queries):
    _, token = cpo
    for n in range(5):
        TokenFactory(uid=f"T{n}", visual_number=f"V{n}")
    TokenFactory(country_code="DE", party_id="MSP", uid="CACHED", source_partner=cpo[0])  # not ours: not listed

    with django_assert_max_num_queries(8):  # auth, partner, traffic log, count, page
        response = client.get(f"{BASE}?limit=2", **auth(token))

    assert response.status_code == 200
    assert response["X-Total-Count"] == "5"
    assert 'rel="next"' in response["Link"]
    first = response.json()["data"][0]
    assert first["uid"] == "T0" and first["visual_number"] == "V0" and first["last_updated"].endswith("Z")
    assert "group_id" not in first  # empty optional fields are left out
    future = client.get(f"{BASE}?date_from=2999-01-01T00:00:00Z", **auth(token))
    assert future.json()["data"] == []


def test_authorize_allowed_with_location_and_a_kept_reference(client, cpo):
    partner, token = cpo
    TokenFactory(uid="CARD1")

    response = authorize(client, token, "card1", {"location_id": "LOC1", "evse_uids": ["EVSE-1", "EVSE-2"]})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["allowed"] == "ALLOWED"
    assert data["token"]["uid"] == "CARD1"
    assert data["location"] == {"location_id": "LOC1", "evse_uids": ["EVSE-1", "EVSE-2"]}
    issued = IssuedAuthorization.objects.get(authorization_reference=data["authorization_reference"])
    assert (issued.partner, issued.location_id, issued.allowed) == (partner, "LOC1", "ALLOWED")


def test_blocked_token_is_http_200_blocked_without_location(client, cpo):
    _, token = cpo
    TokenFactory(uid="CARD1", valid=False)
    response = authorize(client, token, "CARD1", {"location_id": "LOC1"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["allowed"] == "BLOCKED"
    assert "location" not in data
    assert data["info"]["text"].startswith("This card is blocked")


def test_unknown_token_is_404_with_2004_and_no_data(client, cpo):
    _, token = cpo
    TokenFactory(uid="CARD1", type="APP_USER")
    response = authorize(client, token, "CARD1")  # type defaults to RFID
    assert response.status_code == 404
    assert response.json()["status_code"] == 2004
    assert "data" not in response.json()
    assert authorize(client, token, "CARD1", query="?type=APP_USER").json()["data"]["allowed"] == "ALLOWED"


def test_bad_location_references_are_2001(client, cpo):
    _, token = cpo
    TokenFactory(uid="CARD1")
    response = authorize(client, token, "CARD1", {"evse_uids": ["E1"]})
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert "location_id" in response.json()["status_message"]
    assert not IssuedAuthorization.objects.exists()


def test_hook_rules_decide_in_order(client, cpo, settings):
    _, token = cpo
    settings.TOKENS_AUTHORIZATION_RULES = [RULES, "tests.tokens.rules.no_credit_for_group_prepaid"]
    TokenFactory(uid="EMPTY", group_id="PREPAID-EMPTY")
    TokenFactory(uid="FULL")
    TokenFactory(uid="BLOCKED", group_id="PREPAID-EMPTY", valid=False)

    empty = authorize(client, token, "EMPTY").json()["data"]
    assert (empty["allowed"], empty["info"]["text"]) == ("NO_CREDIT", "Top up your balance in the app")
    assert authorize(client, token, "FULL").json()["data"]["allowed"] == "ALLOWED"
    assert authorize(client, token, "BLOCKED").json()["data"]["allowed"] == "BLOCKED"  # the first rule wins


def test_hook_can_restrict_evses_and_a_broken_rule_refuses(client, cpo, settings):
    _, token = cpo
    TokenFactory(uid="CARD1")
    settings.TOKENS_AUTHORIZATION_RULES = [RULES, "tests.tokens.rules.only_evse_1"]
    some = authorize(client, token, "CARD1", {"location_id": "L", "evse_uids": ["EVSE-1", "EVSE-2"]}).json()["data"]
    assert (some["allowed"], some["location"]["evse_uids"]) == ("ALLOWED", ["EVSE-1"])
    none = authorize(client, token, "CARD1", {"location_id": "L", "evse_uids": ["EVSE-2"]}).json()["data"]
    assert none["allowed"] == "NOT_ALLOWED"

    settings.TOKENS_AUTHORIZATION_RULES = [RULES, "tests.tokens.rules.broken"]
    assert authorize(client, token, "CARD1").json()["data"]["allowed"] == "NOT_ALLOWED"


def test_authorize_costs_constant_queries(client, cpo, django_assert_num_queries):
    _, token = cpo
    TokenFactory(uid="CARD1")
    authorize(client, token, "CARD1")  # warm caches (partner lookup)
    # credentials (one statement), the token, the issued authorization; the traffic log line (savepoint, insert,
    # release: tests write it at once, production in a batch after the answer)
    with django_assert_num_queries(6):
        assert authorize(client, token, "CARD1", {"location_id": "L"}).status_code == 200
