"""Versions and version details (version_information_endpoint.asciidoc), generated from the module registry."""

import pytest

from roaming.ocpi import registry
from roaming.ocpi.urls import build_urlpatterns
from tests.conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]

BASE = "https://ocpi.example.com"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.OCPI_BASE_URL = BASE


@pytest.fixture
def temp_registry():
    """The registry, restored to what the apps registered once the test is over."""
    saved = dict(registry._endpoints)
    yield registry
    registry._endpoints.clear()
    registry._endpoints.update(saved)


MODULE = "x-testmodule"  # a custom module id (prefixed, as the spec asks) no real app registers


def module(role: str, party_role: str | None) -> registry.OcpiEndpoint:
    return registry.OcpiEndpoint(
        version="2.2.1",
        identifier=MODULE,
        role=role,
        path=f"{'cpo' if role == 'SENDER' else 'emsp'}/{MODULE}",
        urlconf="tests.ocpi.urls",
        party_role=party_role,
    )


def details(client, token) -> list[dict]:
    response = client.get("/ocpi/2.2.1", **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000
    assert body["data"]["version"] == "2.2.1"
    return body["data"]["endpoints"]


@pytest.mark.parametrize("path", ["/ocpi/versions", "/ocpi/versions/"])
def test_versions_lists_2_2_1_with_its_details_url(client, registered_partner, path):
    _, token = registered_partner

    response = client.get(path, **auth(token))

    assert response.status_code == 200
    assert response.json()["data"] == [{"version": "2.2.1", "url": f"{BASE}/ocpi/2.2.1"}]


def test_details_url_from_versions_is_served(client, registered_partner):
    _, token = registered_partner
    url = client.get("/ocpi/versions", **auth(token)).json()["data"][0]["url"]

    assert client.get(url.removeprefix(BASE), **auth(token)).json()["data"]["version"] == "2.2.1"


def test_version_details_list_exactly_the_registered_endpoints(client, registered_partner):
    _, token = registered_partner

    endpoints = details(client, token)

    assert {"identifier": "credentials", "role": "SENDER", "url": f"{BASE}/ocpi/2.2.1/credentials"} in endpoints
    assert endpoints == [
        {"identifier": e.identifier, "role": e.role, "url": e.url} for e in registry.endpoints("2.2.1")
    ]
    assert len({(e["identifier"], e["role"]) for e in endpoints}) == len(endpoints)


def test_version_details_with_a_trailing_slash(client, registered_partner):
    _, token = registered_partner

    assert client.get("/ocpi/2.2.1/", **auth(token)).json()["data"]["version"] == "2.2.1"


def test_a_module_can_appear_twice_sender_and_receiver(client, registered_partner, temp_registry, settings):
    settings.OCPI_ROLES = ["CPO", "EMSP"]
    _, token = registered_partner
    temp_registry.register(module("SENDER", "CPO"))
    temp_registry.register(module("RECEIVER", "EMSP"))

    endpoints = [e for e in details(client, token) if e["identifier"] == MODULE]

    assert endpoints == [
        {"identifier": MODULE, "role": "RECEIVER", "url": f"{BASE}/ocpi/2.2.1/emsp/{MODULE}"},
        {"identifier": MODULE, "role": "SENDER", "url": f"{BASE}/ocpi/2.2.1/cpo/{MODULE}"},
    ]


def test_endpoint_of_a_role_we_do_not_play_is_not_published(client, registered_partner, temp_registry, settings):
    settings.OCPI_ROLES = ["CPO"]
    _, token = registered_partner
    temp_registry.register(module("SENDER", "CPO"))
    temp_registry.register(module("RECEIVER", "EMSP"))

    endpoints = details(client, token)

    assert [e["role"] for e in endpoints if e["identifier"] == MODULE] == ["SENDER"]
    assert temp_registry.endpoint_url("2.2.1", MODULE, "RECEIVER") is None
    assert temp_registry.endpoint_url("2.2.1", MODULE, "SENDER") == f"{BASE}/ocpi/2.2.1/cpo/{MODULE}"
    assert any(e["identifier"] == "credentials" for e in endpoints)  # party_role None: always served


def test_disabled_endpoints_are_not_mounted(temp_registry, settings):
    settings.OCPI_ROLES = ["CPO"]
    temp_registry.register(module("SENDER", "CPO"))
    temp_registry.register(module("RECEIVER", "EMSP"))

    routes = [str(p.pattern) for p in build_urlpatterns()]

    assert f"ocpi/2.2.1/cpo/{MODULE}" in routes
    assert f"ocpi/2.2.1/emsp/{MODULE}" not in routes
    assert routes[-1] == "^ocpi/.*$"  # the catch-all stays last


def test_registering_the_same_interface_twice_replaces_it(temp_registry):
    temp_registry.register(module("SENDER", None))
    temp_registry.register(
        registry.OcpiEndpoint(
            version="2.2.1", identifier=MODULE, role="SENDER", path=f"v2/{MODULE}", urlconf="tests.ocpi.urls"
        )
    )

    matching = [e for e in temp_registry.all_endpoints() if e.identifier == MODULE]
    assert [e.path for e in matching] == [f"v2/{MODULE}"]


def test_registering_an_unsupported_version_fails(temp_registry):
    with pytest.raises(ValueError, match="2.1.1"):
        temp_registry.register(
            registry.OcpiEndpoint(
                version="2.1.1", identifier=MODULE, role="SENDER", path="x", urlconf="tests.ocpi.urls"
            )
        )


def test_a_version_without_endpoints_is_not_offered(client, registered_partner, temp_registry):
    _, token = registered_partner
    temp_registry._endpoints.clear()

    assert client.get("/ocpi/versions", **auth(token)).json()["data"] == []
    assert client.get("/ocpi/2.2.1", **auth(token)).status_code == 404


@pytest.mark.parametrize("version", ["2.1.1", "9.9", "2.2"])
def test_unknown_version_is_a_404_envelope(client, registered_partner, version):
    _, token = registered_partner

    response = client.get(f"/ocpi/{version}", **auth(token))

    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 2000
    assert version in body["status_message"]
    assert "data" not in body


def test_version_details_need_a_token(client):
    response = client.get("/ocpi/2.2.1")

    assert response.status_code == 401
    assert response.json()["status_code"] == 2000


def test_own_roles_follow_settings(settings):
    settings.OCPI_ROLES = ["CPO", "EMSP"]
    settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID = "NL", "EXA"
    settings.OCPI_BUSINESS_NAME, settings.OCPI_BUSINESS_WEBSITE = "Example", "https://example.com"

    roles = registry.own_roles()

    assert [r["role"] for r in roles] == ["CPO", "EMSP"]
    assert roles[0] == {
        "role": "CPO",
        "business_details": {"name": "Example", "website": "https://example.com"},
        "party_id": "EXA",
        "country_code": "NL",
    }
    assert registry.versions_url() == f"{BASE}/ocpi/versions"
