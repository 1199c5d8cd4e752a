"""The internal tokens API (/api/v1/tokens..., /api/v1/contracts/.../tokens) and the CSMS authorization call
(/api/v1/authorize): staff API tokens, DRF conventions, OpenAPI."""

import pytest
from django.contrib.auth import get_user_model

from roaming.core.api_keys import api_key_create
from roaming.ocpi.models import OutboxMessage
from roaming.tokens.models import AuthorizationDecision, Token
from tests.locations.factories import EVSEFactory
from tests.partners.factories import registered_partner_with_token
from tests.tokens.factories import TokenFactory

pytestmark = pytest.mark.django_db

CARD = {"uid": "04A2B3C4", "contract_id": "NL-EXA-C12345678-N", "issuer": "Example Mobility"}


@pytest.fixture
def api(client):
    user = get_user_model().objects.create_user("crm", password="x", is_staff=True)
    key = api_key_create(user=user, name="CRM")[1]

    def call(method, path, body=None):
        kwargs = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Token {key}"}
        return (
            getattr(client, method)(f"/api/v1/{path}", body, **kwargs)
            if body is not None
            else getattr(client, method)(f"/api/v1/{path}", **kwargs)
        )

    return call


@pytest.fixture
def cpo():
    return registered_partner_with_token(
        country_code="DE",
        party_id="CPO",
        role="CPO",
        endpoints=[("tokens", "RECEIVER", "http://cpo.invalid/ocpi/2.2.1/cpo/tokens")],
    )[0]


def test_create_get_patch_block_unblock(api, cpo):
    created = api("post", "tokens", CARD)
    assert created.status_code == 201
    assert created.json()["contract_id"] == "NL-EXA-C12345678-N"
    assert api("post", "tokens", CARD).status_code == 200  # same uid and type: replaced (unchanged)

    assert api("get", "tokens/04a2b3c4").json()["issuer"] == "Example Mobility"
    patched = api("patch", "tokens/04A2B3C4", {"visual_number": "EXA-1"})
    assert patched.json()["visual_number"] == "EXA-1"
    assert api("post", "tokens/04A2B3C4/block").json()["valid"] is False
    assert api("post", "tokens/04A2B3C4/unblock").json()["valid"] is True
    assert list(OutboxMessage.objects.order_by("id").values_list("method", flat=True)) == [
        "PUT",
        "PUT",
        "PATCH",
        "PATCH",
    ]


def test_errors_follow_drf(api, client):
    bad = api("post", "tokens", {**CARD, "contract_id": "NL-EXA-C12345678-X"})
    assert bad.status_code == 400
    assert "the check digit is 'X', expected 'N'" in bad.json()["contract_id"][0]
    assert api("get", "tokens/NOPE").status_code == 404
    assert api("get", "tokens/X?type=CARD").status_code == 400
    assert client.get("/api/v1/tokens").status_code == 401
    assert not Token.objects.exists()


def test_list_a_contracts_tokens(api):
    TokenFactory(uid="A", contract_id="NL-EXA-C12345678-N")
    TokenFactory(uid="B", contract_id="NL-EXA-C12345678-N", type="APP_USER")
    TokenFactory(uid="C", contract_id="NL-EXA-C00000001")
    tokens = api("get", "contracts/nl-exa-c12345678-n/tokens").json()
    assert [(t["uid"], t["type"]) for t in tokens] == [("A", "RFID"), ("B", "APP_USER")]
    page = api("get", "tokens?contract_id=NL-EXA-C12345678-N").json()
    assert page["count"] == 2


def test_authorize_answers_with_the_decision(api, settings):
    settings.OCPI_ROLES = ["CPO", "EMSP"]
    EVSEFactory(uid="EVSE-1", internal_id="CP-1")
    TokenFactory(uid="MINE")

    response = api("post", "authorize", {"uid": "MINE", "charger_id": "CP-1"})

    assert response.status_code == 200
    body = response.json()
    assert (body["allowed"], body["result"], body["source"], body["fell_back"]) == (True, "ALLOWED", "OWN", False)
    assert body["emsp"] == {"country_code": "NL", "party_id": "EXA", "partner_id": None}
    assert len(body["authorization_reference"]) == 32
    assert body["decision_id"] == AuthorizationDecision.objects.get().pk

    refused = api("post", "authorize", {"uid": "NOBODY", "evse_uid": "EVSE-1"}).json()
    assert (refused["allowed"], refused["emsp"], refused["authorization_reference"]) == (False, None, None)
    assert api("post", "authorize", {"uid": "MINE"}).status_code == 400
    assert api("post", "authorize", {"uid": "MINE", "charger_id": "NOPE"}).status_code == 404


def test_authorize_from_the_cache_costs_constant_queries(api, django_assert_num_queries):
    evse = EVSEFactory(uid="EVSE-1", internal_id="CP-1")
    partner, _ = registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")
    TokenFactory(country_code="DE", party_id="MSP", uid="C1", whitelist="ALWAYS", source_partner=partner)
    api("get", "tokens/NONE")  # the key's first use is recorded (then at most once a minute): not every call's cost
    # staff API key and its user, the charger (three columns), our own eMSP's tokens (this installation plays both
    # roles), the cached token, the partner's state, the decision
    with django_assert_num_queries(6):
        decision = api("post", "authorize", {"uid": "C1", "charger_id": "CP-1"}).json()
    where = (decision["allowed"], decision["location_id"], decision["evse_uid"])
    assert where == (True, evse.location.location_id, "EVSE-1")
    assert AuthorizationDecision.objects.get(pk=decision["decision_id"]).charger_id == "CP-1"


def test_openapi_documents_the_endpoints(admin_client):
    schema = admin_client.get("/api/schema/?format=json").content.decode()
    for path in ("/api/v1/authorize", "/api/v1/tokens/{uid}/block", "/api/v1/contracts/{contract_id}/tokens"):
        assert path in schema
