"""The CPO Receiver interface of tokens (mod_tokens.asciidoc, Receiver Interface): GET, PUT, PATCH on
``/ocpi/2.2.1/cpo/tokens/{country_code}/{party_id}/{token_uid}[?type=]``."""

import json
from pathlib import Path

import pytest

from roaming.ocpi.renderers import dumps
from roaming.tokens.models import Token
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tokens.factories import TokenFactory, token_payload

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/cpo/tokens"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi-examples"


@pytest.fixture
def emsp():
    """A registered eMSP partner DE/MSP and the token it calls us with."""
    return registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")


def put(client, token, path, body):
    return client.put(f"{BASE}/{path}", data=dumps(body), content_type="application/json", **auth(token))


def patch(client, token, path, body):
    return client.patch(f"{BASE}/{path}", data=dumps(body), content_type="application/json", **auth(token))


@pytest.mark.parametrize("name", ["token_example_1_app_user.json", "token_example_2_full_rfid.json"])
def test_spec_examples_are_accepted_and_round_trip(client, name):
    example = json.loads((EXAMPLES / name).read_text())
    _, token = registered_partner_with_token(country_code="DE", party_id="TNM", role="EMSP")
    path = f"DE/TNM/{example['uid']}?type={example['type']}"

    assert put(client, token, path, example).status_code == 201
    response = client.get(f"{BASE}/{path}", **auth(token))

    assert response.status_code == 200
    assert response.json()["data"] == example


def test_spec_put_and_patch_examples(client):
    put_example = json.loads((EXAMPLES / "token_put_example.json").read_text())
    patch_example = json.loads((EXAMPLES / "token_patch_example.json").read_text())
    _, token = registered_partner_with_token(country_code="NL", party_id="TNM", role="EMSP")

    assert put(client, token, "NL/TNM/012345678", put_example).status_code == 201  # type omitted: RFID
    assert patch(client, token, "NL/TNM/012345678", patch_example).status_code == 200

    stored = Token.objects.get(uid="012345678")
    assert (stored.type, stored.valid, stored.whitelist) == ("RFID", False, "ALWAYS")
    assert stored.last_updated.isoformat() == "2019-06-19T02:11:11+00:00"


def test_put_replaces_and_ignores_older_copies(client, emsp):
    partner, token = emsp
    assert put(client, token, "DE/MSP/012345678", token_payload(visual_number="V1")).status_code == 201
    newer = token_payload(last_updated="2024-02-01T00:00:00Z")
    assert put(client, token, "de/msp/012345678", newer).status_code == 200
    stale = put(client, token, "DE/MSP/012345678", token_payload(last_updated="2023-01-01T00:00:00Z", valid=False))

    assert stale.status_code == 200
    assert "ignored" in stale.json()["status_message"]
    stored = Token.objects.get()
    assert (stored.source_partner, stored.visual_number, stored.valid) == (partner, "", True)  # PUT replaces
    assert stored.raw["last_updated"] == "2024-02-01T00:00:00Z"


def test_type_parameter_separates_tokens_with_one_uid(client, emsp):
    _, token = emsp
    assert put(client, token, "DE/MSP/ABC?type=APP_USER", token_payload(uid="ABC", type="APP_USER")).status_code == 201
    assert put(client, token, "DE/MSP/ABC", token_payload(uid="ABC")).status_code == 201
    assert Token.objects.count() == 2
    assert client.get(f"{BASE}/DE/MSP/abc?type=app_user", **auth(token)).json()["data"]["type"] == "APP_USER"
    refused = put(client, token, "DE/MSP/ABC?type=RFID", token_payload(uid="ABC", type="OTHER"))
    assert refused.json()["status_code"] == 2001


def test_patch_blocks_for_the_next_read_and_needs_last_updated(client, emsp):
    _, token = emsp
    put(client, token, "DE/MSP/012345678", token_payload())

    missing = patch(client, token, "DE/MSP/012345678", {"valid": False})
    assert (missing.status_code, missing.json()["status_code"]) == (200, 2001)
    assert "last_updated" in missing.json()["status_message"]
    assert Token.objects.get().valid is True

    ok = patch(client, token, "DE/MSP/012345678", {"valid": False, "last_updated": "2024-03-01T00:00:00Z"})
    assert ok.json()["status_code"] == 1000
    assert Token.objects.get().valid is False


def test_patch_of_an_unknown_token_is_404(client, emsp):
    _, token = emsp
    response = patch(client, token, "DE/MSP/NOPE", {"valid": False, "last_updated": "2024-03-01T00:00:00Z"})
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"whitelist": "SOMETIMES"}, "whitelist: 'SOMETIMES' is not a valid WhitelistType"),
        ({"issuer": None}, "issuer: This field is required."),
        ({"valid": "maybe"}, "valid: Must be a valid boolean."),
        ({"uid": "OTHER"}, "uid: 'OTHER' does not match the uid '012345678' in the URL"),
        ({"last_updated": "yesterday"}, "last_updated"),
    ],
)
def test_bad_bodies_get_2001_naming_the_field_and_store_nothing(client, emsp, change, message):
    _, token = emsp
    response = put(client, token, "DE/MSP/012345678", token_payload(**change))
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert message in response.json()["status_message"]
    assert "data" not in response.json() or response.json()["data"] is None
    assert not Token.objects.exists()


def test_body_that_is_not_json_is_400(client, emsp):
    _, token = emsp
    response = client.put(f"{BASE}/DE/MSP/X", data="{nope", content_type="application/json", **auth(token))
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)


def test_without_credentials_is_401(client):
    assert client.get(f"{BASE}/DE/MSP/X").status_code == 401


def test_another_partys_tokens_are_refused(client, emsp):
    _, token = emsp
    registered_partner_with_token(country_code="FR", party_id="OTH", role="EMSP", their_token="x")
    response = put(client, token, "FR/OTH/012345678", token_payload(country_code="FR", party_id="OTH"))
    assert response.status_code == 404
    assert not Token.objects.exists()


def test_our_own_tokens_cannot_be_overwritten(client):
    TokenFactory(uid="MINE")
    _, token = registered_partner_with_token(country_code="NL", party_id="EXA", role="EMSP")  # a misconfigured peer
    response = put(client, token, "NL/EXA/MINE", token_payload(country_code="NL", party_id="EXA", uid="MINE"))
    assert response.json()["status_code"] == 2001
    assert Token.objects.get().source_partner is None
