"""Request/correlation IDs and message-routing headers (transport_and_format.asciidoc, Request headers)."""

import uuid

import pytest

from roaming.ocpi.headers import OcpiRequestContext, outbound_headers
from tests.conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]

ROUTING = ("OCPI-from-country-code", "OCPI-from-party-id", "OCPI-to-country-code", "OCPI-to-party-id")


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def test_ids_are_echoed(client, registered_partner):
    _, token = registered_partner

    response = client.get(
        "/ocpi/test/locations", HTTP_X_REQUEST_ID="req-1", HTTP_X_CORRELATION_ID="corr-1", **auth(token)
    )

    assert response["X-Request-ID"] == "req-1"
    assert response["X-Correlation-ID"] == "corr-1"
    data = response.json()["data"]
    assert (data["request_id"], data["correlation_id"]) == ("req-1", "corr-1")


def test_ids_are_generated_when_absent(client, registered_partner):
    _, token = registered_partner

    first = client.get("/ocpi/versions", **auth(token))
    second = client.get("/ocpi/versions", **auth(token))

    assert is_uuid(first["X-Request-ID"])
    assert is_uuid(first["X-Correlation-ID"])
    assert first["X-Request-ID"] != first["X-Correlation-ID"]
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_blank_ids_are_replaced_and_long_ids_cut(client, registered_partner):
    _, token = registered_partner

    response = client.get("/ocpi/versions", HTTP_X_REQUEST_ID="   ", HTTP_X_CORRELATION_ID="c" * 300, **auth(token))

    assert is_uuid(response["X-Request-ID"])
    assert response["X-Correlation-ID"] == "c" * 100


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [("/ocpi/versions", {}), ("/ocpi/nowhere", {}), ("/ocpi/test/raise/runtime", None)],
    ids=["401", "404", "500"],
)
def test_ids_are_echoed_on_errors(client, registered_partner, path, kwargs):
    _, token = registered_partner
    kwargs = auth(token) if kwargs is None else kwargs

    response = client.get(path, HTTP_X_REQUEST_ID="req-err", HTTP_X_CORRELATION_ID="corr-err", **kwargs)

    assert response.status_code >= 400
    assert response["X-Request-ID"] == "req-err"
    assert response["X-Correlation-ID"] == "corr-err"


@pytest.mark.urls("config.urls")
def test_non_ocpi_paths_are_left_alone(client):
    response = client.get("/admin/login/", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 200
    assert "X-Request-ID" not in response


def test_routing_headers_are_parsed_and_swapped_on_the_response(client, registered_partner):
    _, token = registered_partner

    response = client.get(
        "/ocpi/test/locations",
        HTTP_OCPI_FROM_COUNTRY_CODE="de",
        HTTP_OCPI_FROM_PARTY_ID="msp",
        HTTP_OCPI_TO_COUNTRY_CODE="NL",
        HTTP_OCPI_TO_PARTY_ID="EXA",
        **auth(token),
    )

    data = response.json()["data"]
    assert data["from"] == ["DE", "MSP"]  # CiStrings: upper-cased
    assert data["to"] == ["NL", "EXA"]
    assert data["module"] == "locations"
    assert response["OCPI-from-country-code"] == "NL"
    assert response["OCPI-from-party-id"] == "EXA"
    assert response["OCPI-to-country-code"] == "DE"
    assert response["OCPI-to-party-id"] == "MSP"


def test_routing_headers_are_optional_and_we_answer_as_ourselves(client, registered_partner, settings):
    settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID = "BE", "OWN"
    _, token = registered_partner

    response = client.get("/ocpi/test/locations", **auth(token))

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["from"] == [None, None]
    assert data["to"] == [None, None]
    assert response["OCPI-from-country-code"] == "BE"
    assert response["OCPI-from-party-id"] == "OWN"
    assert "OCPI-to-country-code" not in response
    assert "OCPI-to-party-id" not in response


def test_routing_headers_on_error_responses_of_functional_modules(client, registered_partner):
    _, token = registered_partner

    response = client.get(
        "/ocpi/test/parties/NL/XXX", HTTP_OCPI_FROM_COUNTRY_CODE="DE", HTTP_OCPI_FROM_PARTY_ID="MSP", **auth(token)
    )

    assert response.status_code == 404
    assert response["OCPI-to-country-code"] == "DE"
    assert response["OCPI-to-party-id"] == "MSP"


@pytest.mark.parametrize("path", ["/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.2.1/credentials", "/ocpi/test/data"])
def test_no_routing_headers_on_configuration_modules(client, registered_partner, path):
    _, token = registered_partner

    response = client.get(
        path,
        HTTP_OCPI_FROM_COUNTRY_CODE="DE",
        HTTP_OCPI_FROM_PARTY_ID="MSP",
        HTTP_OCPI_TO_COUNTRY_CODE="NL",
        HTTP_OCPI_TO_PARTY_ID="EXA",
        **auth(token),
    )

    assert response.status_code == 200
    assert not [h for h in ROUTING if h in response]
    assert "X-Request-ID" in response


def test_context_from_headers_is_case_insensitive_and_trims():
    context = OcpiRequestContext.from_headers(
        {"X-Request-ID": " r1 ", "X-Correlation-ID": "c1", "OCPI-to-country-code": " nl ", "OCPI-to-party-id": ""}
    )

    assert context.request_id == "r1"
    assert context.correlation_id == "c1"
    assert context.to_country_code == "NL"
    assert context.to_party_id is None


def test_outbound_headers():
    headers = outbound_headers(correlation_id="corr", from_party=("NL", "EXA"), to_party=("DE", "MSP"))

    assert is_uuid(headers["X-Request-ID"])
    assert headers["X-Correlation-ID"] == "corr"
    assert headers["OCPI-from-country-code"] == "NL"
    assert headers["OCPI-to-party-id"] == "MSP"
    assert set(outbound_headers()) == {"X-Request-ID", "X-Correlation-ID"}
