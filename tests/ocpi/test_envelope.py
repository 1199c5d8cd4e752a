"""The response envelope (transport_and_format.asciidoc, Response format) on success and on every kind of error."""

from datetime import UTC, datetime

import pytest

from roaming.ocpi.envelope import envelope, ocpi_response
from roaming.ocpi.renderers import dumps, loads
from tests.conftest import auth
from tests.ocpi.conftest import TIMESTAMP

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]


def test_envelope_omits_null_data_and_message():
    body = envelope()

    assert set(body) == {"status_code", "timestamp"}
    assert body["status_code"] == 1000
    assert type(body["status_code"]) is int
    assert TIMESTAMP.match(body["timestamp"])


def test_envelope_keeps_falsy_but_present_data():
    assert envelope([])["data"] == []
    assert envelope({})["data"] == {}
    assert envelope(0)["data"] == 0


def test_envelope_carries_message_and_plain_int_status():
    body = envelope({"a": 1}, 2001, "uid: too long")

    assert body["data"] == {"a": 1}
    assert body["status_code"] == 2001
    assert type(body["status_code"]) is int  # never the IntEnum, which some encoders write as a name
    assert body["status_message"] == "uid: too long"


def test_ocpi_response_sets_http_status_and_headers():
    response = ocpi_response(None, status_code=2003, status_message="gone", http_status=404, headers={"X-A": "b"})

    assert response.status_code == 404
    assert response.data["status_code"] == 2003
    assert response["X-A"] == "b"


def test_success_body_over_http(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/data", {"kind": "list"}, **auth(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"data", "status_code", "timestamp"}
    assert body["data"] == [1, 2, 3]
    assert body["status_code"] == 1000
    assert TIMESTAMP.match(body["timestamp"])


def test_success_without_data_omits_the_field(client, registered_partner):
    _, token = registered_partner

    body = client.get("/ocpi/test/data", **auth(token)).json()

    assert "data" not in body
    assert body["status_code"] == 1000


def test_error_envelope_has_no_data_and_a_message(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/raise/not-enough-information", **auth(token))

    body = response.json()
    assert set(body) == {"status_code", "status_message", "timestamp"}
    assert body["status_code"] == 2002
    assert body["status_message"] == "location references needed"
    assert TIMESTAMP.match(body["timestamp"])


def test_decimals_render_as_json_numbers_with_their_digits(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/data", {"kind": "decimal"}, **auth(token))

    assert b'"price":0.25' in response.content
    assert b'"kwh":12.5' in response.content
    assert b'"whole":3' in response.content
    assert b'"exp":10' in response.content
    assert response.json()["data"] == {"price": 0.25, "kwh": 12.5, "whole": 3, "exp": 10}


def test_renderer_roundtrip_keeps_decimals_exact():
    parsed = loads(b'{"price": 0.1, "n": 2}')

    assert str(parsed["price"]) == "0.1"
    assert loads(dumps(parsed)) == parsed


def test_renderer_writes_aware_datetimes_with_z():
    assert dumps({"t": datetime(2024, 1, 31, 12, 0, tzinfo=UTC)}) == b'{"t":"2024-01-31T12:00:00Z"}'


@pytest.mark.parametrize("path", ["/ocpi/nowhere", "/ocpi/2.2.1/no-such-module", "/ocpi/2.2.1/credentials/extra/bits"])
def test_unknown_ocpi_path_is_a_404_envelope_never_html(client, registered_partner, path):
    _, token = registered_partner

    response = client.get(path, **auth(token))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status_code"] == 2000
    assert path in body["status_message"]
    assert "data" not in body


@pytest.mark.urls("config.urls")
def test_unknown_ocpi_path_with_the_real_urlconf_and_no_token(client):
    response = client.post("/ocpi/2.2.1/nothing", data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


def test_unexpected_exception_is_a_500_envelope_without_internals(client, registered_partner, caplog):
    _, token = registered_partner

    response = client.get("/ocpi/test/raise/runtime", **auth(token))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status_code"] == 3000
    assert "hunter2" not in response.content.decode()
    assert "data" not in body
    # ...but the traceback is logged for us
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)


def test_method_not_allowed_is_a_405_envelope(client, registered_partner):
    _, token = registered_partner

    response = client.delete("/ocpi/versions", **auth(token))

    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


def test_non_json_accept_header_still_gets_a_json_envelope(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/test/data", {"kind": "list"}, HTTP_ACCEPT="application/xml", **auth(token))

    assert response.status_code == 200
    assert response.json()["data"] == [1, 2, 3]
