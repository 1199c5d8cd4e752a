"""Sender interface (our CPO): GET list (paginated, date windows, only our own Locations) and GET objects."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import auth
from tests.locations.conftest import SENDER
from tests.locations.factories import (
    T0,
    ConnectorFactory,
    EVSEFactory,
    LocationFactory,
    ReceivedLocationFactory,
    bulk_locations,
    location_with_evses,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client, registered_partner):
    _, token = registered_partner

    def _get(path="", params=None, token_=None):
        return client.get(f"{SENDER}{path}", params or {}, **auth(token_ or token))

    return _get


def ids(response) -> list[str]:
    return [location["id"] for location in response.json()["data"]]


def test_list_returns_only_our_own_locations(get, settings):
    location_with_evses(evses=1, connectors=1, location_id="OURS")
    ReceivedLocationFactory(location_id="THEIRS")  # received from a partner: theirs to publish, not ours
    LocationFactory(location_id="OTHER", country_code="DE", party_id="XYZ")  # not our party (data error)

    response = get()

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 1000
    assert ids(response) == ["OURS"]
    location = body["data"][0]
    assert (location["country_code"], location["party_id"]) == (settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID)
    assert location["evses"][0]["connectors"][0]["last_updated"] == "2024-01-01T12:00:00Z"
    assert response["X-Total-Count"] == "1"


def test_list_is_paginated_in_creation_order(get, settings):
    settings.OCPI_PAGE_LIMIT_MAX = 2
    for name in ["C", "A", "B", "D", "E"]:
        LocationFactory(location_id=name)

    first = get()
    assert ids(first) == ["C", "A"]
    assert first["X-Total-Count"] == "5"
    assert first["X-Limit"] == "2"
    link = urlsplit(first["Link"][1 : first["Link"].index(">")])
    assert link.path == SENDER
    assert parse_qs(link.query) == {"offset": ["2"], "limit": ["2"]}

    second = get(params={"offset": 2, "limit": 2})
    assert ids(second) == ["B", "D"]
    last = get(params={"offset": 4, "limit": 10})  # limit is clamped to the maximum
    assert ids(last) == ["E"]
    assert "Link" not in last


def test_date_window_is_inclusive_exclusive(get):
    for minutes in range(4):
        LocationFactory(location_id=f"M{minutes}", last_updated=T0 + timedelta(minutes=minutes))

    response = get(params={"date_from": "2024-01-01T12:01:00Z", "date_to": "2024-01-01T12:03:00Z"})

    assert ids(response) == ["M1", "M2"]
    assert response["X-Total-Count"] == "2"


def test_invalid_pagination_parameter(get):
    response = get(params={"date_from": "last tuesday"})

    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("date_from:")


def test_get_location_evse_and_connector(get):
    location = LocationFactory(location_id="Loc-1")
    evse = EVSEFactory(location=location, uid="Evse-1", evse_id="NL*EXA*E1")
    ConnectorFactory(evse=evse, connector_id="C1")

    response = get("/Loc-1")
    assert response.status_code == 200
    assert response.json()["data"]["evses"][0]["uid"] == "Evse-1"

    # CiString ids: any case finds the object, which keeps its own spelling
    evse_data = get("/loc-1/EVSE-1").json()["data"]
    assert evse_data["evse_id"] == "NL*EXA*E1"
    assert [c["id"] for c in evse_data["connectors"]] == ["C1"]
    assert get("/LOC-1/evse-1/c1").json()["data"]["id"] == "C1"
    assert get("/Loc-1/").status_code == 200  # trailing slash tolerated


@pytest.mark.parametrize(
    ("path", "status_code", "message"),
    [
        ("/NOPE", 2003, "Location NOPE is unknown"),
        ("/NOPE/E1", 2003, "Location NOPE is unknown"),
        ("/THEIRS", 2003, "Location THEIRS is unknown"),  # a received Location is not ours to serve
        ("/Loc-1/NOPE", 2000, "EVSE NOPE of Location Loc-1 is unknown"),
        ("/Loc-1/E1/9", 2000, "Connector 9 of EVSE E1 is unknown"),
    ],
)
def test_unknown_objects_are_404(get, path, status_code, message):
    location = LocationFactory(location_id="Loc-1")
    ConnectorFactory(evse=EVSEFactory(location=location, uid="E1"), connector_id="1")
    ReceivedLocationFactory(location_id="THEIRS")

    response = get(path)

    assert response.status_code == 404
    assert response.json()["status_code"] == status_code
    assert response.json()["status_message"] == message
    assert "data" not in response.json()


def test_without_token_401(client):
    LocationFactory()

    response = client.get(SENDER)

    assert response.status_code == 401
    assert "data" not in response.json()


def test_token_a_is_refused(client):
    from roaming.partners.services import partner_invite

    LocationFactory(location_id="L1")
    _, token_a = partner_invite(name="Not yet registered")

    for path in ("", "/L1"):
        response = client.get(f"{SENDER}{path}", **auth(token_a))
        assert response.status_code == 401
        assert "data" not in response.json()


def test_published_in_version_details(client, registered_partner):
    _, token = registered_partner

    endpoints = client.get("/ocpi/2.2.1", **auth(token)).json()["data"]["endpoints"]

    locations = sorted((e["role"], e["url"]) for e in endpoints if e["identifier"] == "locations")
    assert [(role, urlsplit(url).path) for role, url in locations] == [
        ("RECEIVER", "/ocpi/2.2.1/emsp/locations"),
        ("SENDER", "/ocpi/2.2.1/cpo/locations"),
    ]


def test_list_costs_a_constant_number_of_queries(get, django_assert_max_num_queries):
    bulk_locations(count=200, evses=3, connectors=2)

    # auth (token, roles, last-used touch), count, page of primary keys, the page's JSON (render_sql: jit off, the
    # page), traffic log (insert in a savepoint): nine statements, none per Location
    with django_assert_max_num_queries(9):
        response = get(params={"limit": 1000})

    data = response.json()["data"]
    assert len(data) == 200
    assert sum(len(evse["connectors"]) for location in data for evse in location["evses"]) == 1200
