"""Any input gets an answer, never a crash (issue "Fit for money", "Any input"): every request under /ocpi/ gets the
OCPI envelope, never HTTP 5xx or an HTML page, and a refused request changes nothing."""

import json

import pytest

from roaming.locations.models import Location
from roaming.ocpi.models import TrafficLog
from tests.conftest import auth
from tests.locations.conftest import RECEIVER, example
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db
EVENTS = "/ocpi/test/events"
VALIDATE = "/ocpi/test/validate"


def assert_envelope(response, http_status: int, status_code: int) -> dict:
    assert response.status_code == http_status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status_code"] == status_code
    assert "timestamp" in body
    return body


def send(client, token, method, path, raw: bytes | str):
    return getattr(client, method)(path, data=raw, content_type="application/json", **auth(token))


@pytest.mark.urls("tests.ocpi.urls")
@pytest.mark.parametrize("offset", ["99999999999999999999", str(2**63), str(2**63 - 1)])
def test_huge_offset_on_a_sender_list_is_2001(client, registered_partner, offset):
    _, token = registered_partner
    response = client.get(EVENTS, {"offset": offset}, **auth(token))
    body = assert_envelope(response, 200, 2001)
    assert body["status_message"].startswith("offset:")


@pytest.mark.urls("tests.ocpi.urls")
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_date_from_outside_the_representable_range_is_2001(client, registered_partner, value):
    _, token = registered_partner
    response = client.get(EVENTS, {"date_from": value}, **auth(token))
    body = assert_envelope(response, 200, 2001)
    assert body["status_message"].startswith("date_from:")


@pytest.mark.urls("tests.ocpi.urls")
def test_a_body_nested_2000_levels_deep_is_400_2001(client, registered_partner):
    _, token = registered_partner
    response = send(client, token, "post", VALIDATE, "[" * 2000 + "]" * 2000)
    assert_envelope(response, 400, 2001)


@pytest.mark.urls("tests.ocpi.urls")
def test_nesting_deeper_than_the_limit_is_refused_before_validation(client, registered_partner, settings):
    settings.OCPI_JSON_MAX_DEPTH = 5
    _, token = registered_partner
    response = send(client, token, "post", VALIDATE, json.dumps({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}))
    body = assert_envelope(response, 400, 2001)
    assert "nested deeper than 5 levels" in body["status_message"]


@pytest.mark.urls("tests.ocpi.urls")
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(client, registered_partner, constant):
    _, token = registered_partner
    raw = '{"country_code": "BE", "party_id": "BEC", "id": "L1", "last_updated": "2024-01-01T00:00:00Z", "evses": '
    raw += f'[{{"uid": "E1", "connectors": [{{"id": "1", "max_voltage": 230, "max_electric_power": {constant}}}]}}]}}'
    response = send(client, token, "post", VALIDATE, raw)
    body = assert_envelope(response, 400, 2001)
    assert f"{constant.lstrip('-')} is not valid JSON" in body["status_message"]


@pytest.mark.urls("tests.ocpi.urls")
def test_a_body_over_the_size_limit_is_413_before_parsing(client, registered_partner, settings):
    settings.OCPI_REQUEST_BODY_LIMIT = 100
    _, token = registered_partner
    response = send(client, token, "post", VALIDATE, json.dumps({"name": "x" * 200}))
    body = assert_envelope(response, 413, 2001)
    assert "exceeds the limit of 100 bytes" in body["status_message"]
    assert TrafficLog.objects.filter(http_status=413, request_body="").exists()


@pytest.mark.urls("tests.ocpi.urls")
def test_options_exposes_no_docstrings(client, registered_partner):
    _, token = registered_partner
    response = client.options(VALIDATE, **auth(token))
    body = assert_envelope(response, 200, 1000)
    assert "POST" in response["Allow"]
    assert "Validates a Location-shaped body" not in response.content.decode()
    assert "data" not in body


def test_a_lone_surrogate_in_an_id_is_400_2001_and_stores_nothing(client):
    _, token = registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")
    raw = json.dumps(example("location_example.json")).replace('"LOC1"', '"\\ud800"', 1)
    assert "\\ud800" in raw
    response = send(client, token, "put", f"{RECEIVER}/BE/BEC/LOC1", raw)
    assert_envelope(response, 400, 2001)
    assert not Location.objects.exists()


def test_the_renderer_survives_a_lone_surrogate_it_must_echo():
    from roaming.ocpi.renderers import dumps

    assert json.loads(dumps({"status_message": "id: '\ud800' is unknown"})) == {
        "status_message": "id: '\ufffd' is unknown"
    }
