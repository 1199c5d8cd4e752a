"""Every OCPI status code path over HTTP (status_codes.asciidoc).

A request that reached the OCPI layer gets HTTP 200 even with a 2xxx/3xxx status; an unknown object is a 404.
"""

import json

import pytest

from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import PartnerToken
from tests.conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]


@pytest.mark.parametrize(
    ("name", "http_status", "status_code", "message"),
    [
        ("client-error", 200, 2000, "something about your request is wrong"),
        ("domain-error", 200, 2000, "a business rule said no"),
        ("invalid-parameters", 200, 2001, "uid: too long"),
        ("invalid-input", 200, 2001, "kwh: must be positive"),
        ("django-validation", 200, 2001, "country_code: must be 2 letters"),
        ("not-enough-information", 200, 2002, "location references needed"),
        ("unknown-location", 404, 2003, "location LOC1 is unknown"),
        ("unknown-token", 404, 2004, "token 012345 is unknown"),
        ("object-not-found", 404, 2000, "session S1 does not exist"),
        ("http404", 404, 2000, None),
        ("state-conflict", 200, 2000, "already registered"),
        ("permission-denied", 401, 2000, "not for you"),
        ("runtime", 500, 3000, None),
        ("unreachable", 200, 3001, "could not read the partner's versions"),
        ("version-mismatch", 200, 3002, "no mutual OCPI version"),
        ("endpoints-missing", 200, 3003, "the partner lacks credentials"),
    ],
)
def test_error_mapping_over_http(client, registered_partner, name, http_status, status_code, message):
    _, token = registered_partner

    response = client.get(f"/ocpi/test/raise/{name}", **auth(token))

    assert response.status_code == http_status
    body = response.json()
    assert body["status_code"] == status_code
    assert "data" not in body
    assert body["status_message"]
    if message:
        assert body["status_message"] == message


def test_1000_on_success(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/data", **auth(token))

    assert response.status_code == 200
    assert response.json()["status_code"] == 1000


def _location(**overrides):
    body = {
        "country_code": "nl",
        "party_id": "exa",
        "id": "LOC1",
        "name": "Station",
        "last_updated": "2024-01-31T12:00:00+00:00",
        "evses": [{"uid": "E1", "connectors": [{"id": "1", "max_voltage": 230, "max_electric_power": 11000}]}],
    }
    body.update(overrides)
    return body


def test_valid_body_is_accepted_and_re_emitted_strictly(client, registered_partner):
    _, token = registered_partner

    response = client.post("/ocpi/test/validate", _location(), content_type="application/json", **auth(token))

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000
    assert body["data"]["country_code"] == "NL"
    assert body["data"]["last_updated"] == "2024-01-31T12:00:00Z"
    assert body["data"]["evses"][0]["connectors"][0]["max_electric_power"] == 11000


def test_2001_names_the_nested_field(client, registered_partner):
    _, token = registered_partner
    evses = [{"uid": "E1", "connectors": [{"id": "1", "max_voltage": 230}, {"id": "2"}]}]

    response = client.post(
        "/ocpi/test/validate", _location(evses=evses), content_type="application/json", **auth(token)
    )

    assert response.status_code == 200  # valid JSON, existing resource: no HTTP error
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"] == "evses[0].connectors[1].max_voltage: This field is required."
    assert "data" not in body


def test_2001_lists_every_invalid_field(client, registered_partner):
    _, token = registered_partner
    payload = _location(name="line\nbreak", last_updated="yesterday")
    del payload["id"]

    body = client.post("/ocpi/test/validate", payload, content_type="application/json", **auth(token)).json()

    assert body["status_code"] == 2001
    messages = body["status_message"].split("; ")
    assert "id: This field is required." in messages
    assert "name: control characters (CR, LF, TAB...) are not allowed" in messages
    assert any(m.startswith("last_updated: 'yesterday' is not an RFC 3339 DateTime") for m in messages)


def test_2001_for_a_body_that_is_not_an_object(client, registered_partner):
    _, token = registered_partner

    body = client.post("/ocpi/test/validate", [1, 2], content_type="application/json", **auth(token)).json()

    assert body["status_code"] == 2001
    assert "Expected a dictionary" in body["status_message"]


@pytest.mark.parametrize("raw", [b'{"id": "LOC1",', b"not json at all", b"\xff\xfe{}"])
def test_malformed_json_is_http_400_with_2001(client, registered_partner, raw):
    _, token = registered_partner

    response = client.post("/ocpi/test/validate", raw, content_type="application/json", **auth(token))

    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 2001
    assert "not valid JSON" in body["status_message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/json; charset=utf-8", ""])
def test_json_body_with_a_sloppy_or_missing_content_type_is_parsed(client, registered_partner, content_type):
    _, token = registered_partner

    response = client.generic(
        "POST", "/ocpi/test/validate", json.dumps(_location()), content_type=content_type, **auth(token)
    )

    assert response.json()["status_code"] == 1000


def test_other_partys_url_is_refused_with_404(client, registered_partner):
    _, token = registered_partner  # DE/MSP

    response = client.get("/ocpi/test/parties/NL/EXA", **auth(token))

    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 2001
    assert "NL/EXA" in body["status_message"]


def test_own_party_is_matched_case_insensitively(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/parties/de/msp", **auth(token))

    assert response.status_code == 200
    assert response.json()["data"] == {"country_code": "DE", "party_id": "MSP"}


# --- The real 3001/3002/3003 path: an invited partner registers with a versions URL we cannot use --------------


def _credentials(url: str) -> dict:
    return {
        "token": "token-b-from-peer",
        "url": url,
        "roles": [{"role": "CPO", "party_id": "abc", "country_code": "be", "business_details": {"name": "Peer"}}],
    }


def _register(client, token_a: str, url: str):
    return client.post("/ocpi/2.2.1/credentials", _credentials(url), content_type="application/json", **auth(token_a))


def _assert_nothing_changed(client, partner, token_a):
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED
    assert partner.roles.count() == 0
    assert partner.endpoints.count() == 0
    assert list(PartnerToken.objects.filter(partner=partner).values_list("kind", "revoked_at")) == [
        (TokenKind.REGISTRATION, None)
    ]
    # token A still opens versions and credentials
    assert client.get("/ocpi/versions", **auth(token_a)).status_code == 200
    assert client.get("/ocpi/2.2.1/credentials", **auth(token_a)).json()["status_code"] == 1000


def test_registration_with_unreachable_versions_is_3001(client, invited_partner, dead_url, settings):
    settings.OCPI_CLIENT_BACKOFF = 0
    partner, token_a = invited_partner

    response = _register(client, token_a, f"{dead_url}/ocpi/versions")

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 3001
    assert "versions" in body["status_message"]
    _assert_nothing_changed(client, partner, token_a)


def test_registration_with_only_2_1_1_is_3002(client, invited_partner, stub_server):
    partner, token_a = invited_partner
    stub_server.serve_ocpi_peer(versions=("2.1.1",))

    response = _register(client, token_a, f"{stub_server.url}/ocpi/versions")

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 3002
    assert "2.1.1" in body["status_message"]
    _assert_nothing_changed(client, partner, token_a)


def test_registration_without_credentials_endpoint_is_3003(client, invited_partner, stub_server):
    partner, token_a = invited_partner
    stub_server.serve_ocpi_peer(modules=("locations", "tariffs"))

    response = _register(client, token_a, f"{stub_server.url}/ocpi/versions")

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 3003
    assert "credentials" in body["status_message"]
    _assert_nothing_changed(client, partner, token_a)
    # the peer was really asked, with the token it gave us, Base64-encoded
    assert stub_server.calls("GET", "/ocpi/2.2.1")
    assert stub_server.calls("GET", "/ocpi/versions")[0].headers["Authorization"] == "Token dG9rZW4tYi1mcm9tLXBlZXI="


def test_registration_with_invalid_credentials_is_2001(client, invited_partner, stub_server):
    partner, token_a = invited_partner
    payload = _credentials(f"{stub_server.url}/ocpi/versions")
    payload["roles"][0]["role"] = "DRIVER"

    response = client.post("/ocpi/2.2.1/credentials", payload, content_type="application/json", **auth(token_a))

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"].startswith("roles[0].role:")
    assert stub_server.requests == []  # refused before any call
    _assert_nothing_changed(client, partner, token_a)


def test_registration_that_works_is_1000_and_token_a_dies(client, invited_partner, stub_server):
    partner, token_a = invited_partner
    stub_server.serve_ocpi_peer()

    response = _register(client, token_a, f"{stub_server.url}/ocpi/versions")

    body = response.json()
    assert response.status_code == 200
    assert body["status_code"] == 1000
    token_c = body["data"]["token"]
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert client.get("/ocpi/versions", **auth(token_a)).status_code == 401
    assert client.get("/ocpi/versions", **auth(token_c)).status_code == 200


def test_credentials_post_when_registered_is_405(client, registered_partner, stub_server):
    _, token = registered_partner

    response = _register(client, token, f"{stub_server.url}/ocpi/versions")

    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    assert stub_server.requests == []
