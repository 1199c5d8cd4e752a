"""The internal CSMS API: /api/v1/chargers/... and /api/v1/locations (DRF conventions, staff API tokens)."""

import copy
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roaming.core.api_keys import api_key_create
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import csms
from roaming.ocpi.models import OutboxMessage
from tests.locations import factories_import
from tests.locations.factories_import import (
    ConnectorFactory,
    OwnEVSEFactory,
    OwnLocationFactory,
    PartnerLocationFactory,
)

pytestmark = pytest.mark.django_db

# Fixtures shared by the import/API/admin tests (they live next to the factories, not in conftest.py).
receiving_partner = factories_import.receiving_partner

OLD = timezone.now().replace(microsecond=0) - timedelta(days=2)

BODY = {
    "evse_id": "nl*exa*e12345",
    "location_id": "LOC-API-1",
    "location": {
        "name": "API station",
        "address": "API Street 1",
        "city": "Utrecht",
        "postal_code": "3511 AA",
        "country": "NL",
        "coordinates": {"latitude": 52.0907, "longitude": "5.1214"},
    },
    "capabilities": ["rfid_reader"],
    "physical_reference": "1",
    "connectors": [
        {
            "id": "1",
            "standard": "IEC_62196_T2",
            "format": "socket",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "tariff_ids": ["AC-1"],
        },
        {
            "id": "2",
            "standard": "CHADEMO",
            "format": "CABLE",
            "power_type": "DC",
            "max_voltage": 500,
            "max_amperage": 125,
        },
    ],
}


def _token(is_staff: bool) -> str:
    user = get_user_model().objects.create_user(username=f"csms-{is_staff}", password="x", is_staff=is_staff)
    return api_key_create(user=user, name="CSMS")[1]


@pytest.fixture
def api(client):
    """The test client with a staff user's API token, JSON in and out."""
    headers = {"HTTP_AUTHORIZATION": f"Token {_token(True)}"}

    class Api:
        def get(self, url, **params):
            return client.get(url, params, **headers)

        def put(self, url, body):
            return client.put(url, json.dumps(body), content_type="application/json", **headers)

        def post(self, url, body):
            return client.post(url, json.dumps(body), content_type="application/json", **headers)

    return Api()


def put_charger(api, internal_id="CP-1", body=None):
    return api.put(f"/api/v1/chargers/{internal_id}", body or BODY)


# --- authentication ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/chargers/CP-1"),
        ("put", "/api/v1/chargers/CP-1"),
        ("post", "/api/v1/chargers/CP-1/status"),
        ("get", "/api/v1/locations"),
        ("put", "/api/v1/locations/L1"),
    ],
)
def test_no_token_is_401_and_a_non_staff_token_is_403(client, method, url):
    anonymous = getattr(client, method)(url, content_type="application/json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"

    not_staff = getattr(client, method)(
        url, content_type="application/json", HTTP_AUTHORIZATION=f"Token {_token(False)}"
    )
    assert not_staff.status_code == 403


def test_a_wrong_token_is_401(client):
    response = client.get("/api/v1/locations", HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401


# --- PUT charger ---------------------------------------------------------------------------------------------


def test_put_creates_the_charger_its_connectors_and_its_location(api, receiving_partner):
    response = put_charger(api)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["internal_id"], body["evse_id"], body["uid"]) == ("CP-1", "NL*EXA*E12345", "NL*EXA*E12345")
    assert (body["location_id"], body["status"], body["capabilities"]) == ("LOC-API-1", "UNKNOWN", ["RFID_READER"])
    assert [c["id"] for c in body["connectors"]] == ["1", "2"]
    location = Location.objects.get(location_id="LOC-API-1")
    assert (location.country, location.latitude, location.longitude) == ("NLD", "52.09070", "5.12140")
    assert location.time_zone == "Europe/Amsterdam"
    assert (location.country_code, location.party_id, location.source_partner) == ("NL", "EXA", None)
    assert Connector.objects.get(evse__internal_id="CP-1", connector_id="1").format == "SOCKET"
    pushes = OutboxMessage.objects.filter(partner=receiving_partner)
    assert [(m.method, m.path) for m in pushes] == [("PUT", "NL/EXA/LOC-API-1")]


def test_put_the_same_body_again_changes_and_pushes_nothing(api, receiving_partner):
    put_charger(api)
    Location.objects.update(last_updated=OLD)
    EVSE.objects.update(last_updated=OLD)
    Connector.objects.update(last_updated=OLD)

    response = put_charger(api)

    assert response.status_code == 200
    assert response.json()["last_updated"] == OLD.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert Location.objects.get().last_updated == OLD
    assert OutboxMessage.objects.filter(partner=receiving_partner).count() == 1


def test_put_replaces_the_connectors_and_bumps_evse_and_location(api, receiving_partner):
    put_charger(api)
    Location.objects.update(last_updated=OLD)
    EVSE.objects.update(last_updated=OLD)
    Connector.objects.update(last_updated=OLD)
    body = copy.deepcopy(BODY)
    body["connectors"] = [{**body["connectors"][0], "max_amperage": 16}]

    response = put_charger(api, body=body)

    assert response.status_code == 200
    assert [(c["id"], c["max_amperage"]) for c in response.json()["connectors"]] == [("1", 16)]
    evse = EVSE.objects.get()
    assert evse.last_updated > OLD
    assert evse.location.last_updated == evse.last_updated
    assert OutboxMessage.objects.filter(partner=receiving_partner).count() == 2


def test_put_at_an_existing_location_needs_no_location_fields(api):
    OwnLocationFactory(location_id="LOC-API-1")
    body = {k: v for k, v in BODY.items() if k != "location"}

    response = put_charger(api, body=body)

    assert response.status_code == 201
    assert Location.objects.count() == 1


def test_put_at_an_unknown_location_without_location_fields_is_400(api):
    body = {k: v for k, v in BODY.items() if k != "location"}

    response = put_charger(api, body=body)

    assert response.status_code == 400
    assert response.json() == {
        "location": ["location 'LOC-API-1' does not exist; send its fields in 'location' to create it"]
    }
    assert EVSE.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"evse_id": "NL*EXA*P1"}, "evse_id", "'P'/'S' ids are pools/stations, not EVSEs"),
        ({"evse_id": "ZZ*EXA*E1"}, "evse_id", "country code 'ZZ' is not ISO 3166-1 alpha-2"),
        ({"connectors": []}, "connectors", "This list may not be empty."),
        ({"status": "SLEEPING"}, "status", "SLEEPING"),
    ],
)
def test_put_with_invalid_fields_is_400_with_field_messages(api, change, field, message):
    response = put_charger(api, body={**BODY, **change})

    assert response.status_code == 400
    assert message in json.dumps(response.json()[field])


def test_put_with_bad_connector_and_location_values_names_the_nested_field(api):
    body = copy.deepcopy(BODY)
    body["connectors"][1]["standard"] = "TYPE9"
    body["location"]["coordinates"]["latitude"] = "123"

    response = put_charger(api, body=body)

    assert response.status_code == 400
    errors = response.json()
    assert errors["connectors"] == {"1": {"standard": ['"TYPE9" is not a valid choice.']}}
    assert "out of range" in errors["location"]["coordinates"]["latitude"][0]


def test_put_with_duplicate_connector_ids_is_400(api):
    body = copy.deepcopy(BODY)
    body["connectors"][1]["id"] = "1"

    response = put_charger(api, body=body)

    assert response.status_code == 400
    assert response.json() == {"connectors": ["connector id '1' appears twice"]}


def test_put_an_evse_id_mapped_to_another_charger_is_400(api):
    put_charger(api, internal_id="CP-1")

    response = put_charger(api, internal_id="CP-2")

    assert response.status_code == 400
    assert response.json() == {"evse_id": ["'NL*EXA*E12345' is already mapped to internal_id 'CP-1'"]}


def test_put_cannot_move_a_charger_to_another_location(api):
    put_charger(api)

    response = put_charger(api, body={**BODY, "location_id": "LOC-OTHER"})

    assert response.status_code == 400
    assert "this charger is at location 'LOC-API-1'" in response.json()["location_id"][0]


def test_put_cannot_change_the_uid(api):
    put_charger(api)

    response = put_charger(api, body={**BODY, "uid": "OTHER"})

    assert response.status_code == 400
    assert response.json() == {"uid": ["this EVSE's uid is 'NL*EXA*E12345' and a uid never changes"]}


def test_put_maps_an_unmapped_evse_instead_of_creating_a_twin(api):
    location = OwnLocationFactory(location_id="LOC-API-1")
    hand_made = OwnEVSEFactory(location=location, evse_id="NL*EXA*E12345", internal_id=None, uid="HAND")

    response = put_charger(api)

    assert response.status_code == 200
    hand_made.refresh_from_db()
    assert (hand_made.internal_id, hand_made.uid) == ("CP-1", "HAND")


# --- status ---------------------------------------------------------------------------------------------------


def test_status_change_is_stored_and_patched_to_partners(api, receiving_partner):
    put_charger(api)

    response = api.post("/api/v1/chargers/CP-1/status", {"status": "CHARGING"})

    assert response.status_code == 200
    assert response.json()["status"] == "CHARGING"
    evse = EVSE.objects.get()
    assert evse.status == "CHARGING"
    patch = OutboxMessage.objects.filter(partner=receiving_partner, method="PATCH").get()
    assert patch.path == f"NL/EXA/LOC-API-1/{evse.uid}"
    assert patch.body["status"] == "CHARGING"


def test_status_in_lower_case_is_accepted(api):
    put_charger(api)

    response = api.post("/api/v1/chargers/CP-1/status", {"status": "outoforder"})

    assert response.status_code == 200
    assert EVSE.objects.get().status == "OUTOFORDER"


def test_invalid_status_is_400_with_a_field_message(api):
    put_charger(api)

    response = api.post("/api/v1/chargers/CP-1/status", {"status": "EXPLODED"})

    assert response.status_code == 400
    assert response.json() == {"status": ['"EXPLODED" is not a valid choice.']}


def test_missing_status_is_400(api):
    put_charger(api)

    response = api.post("/api/v1/chargers/CP-1/status", {})

    assert response.status_code == 400
    assert response.json() == {"status": ["This field is required."]}


def test_status_of_an_unknown_charger_is_404(api):
    response = api.post("/api/v1/chargers/NOPE/status", {"status": "CHARGING"})

    assert response.status_code == 404
    assert response.json() == {"detail": "No charger with internal_id 'NOPE'."}


def test_status_with_a_timestamp_uses_it_and_a_future_one_is_clamped(api):
    put_charger(api)
    EVSE.objects.update(last_updated=OLD)

    api.post("/api/v1/chargers/CP-1/status", {"status": "CHARGING", "timestamp": "2999-01-01T00:00:00Z"})

    assert timezone.now() - EVSE.objects.get().last_updated < timedelta(minutes=1)


def test_a_status_report_older_than_the_last_change_is_ignored(api):
    put_charger(api)
    api.post("/api/v1/chargers/CP-1/status", {"status": "CHARGING"})

    response = api.post("/api/v1/chargers/CP-1/status", {"status": "AVAILABLE", "timestamp": "2001-01-01T00:00:00Z"})

    assert response.status_code == 200
    assert response.json()["status"] == "CHARGING"


def test_status_of_a_partner_evse_is_404():
    partner_evse = OwnEVSEFactory(location=PartnerLocationFactory(), internal_id="THEIRS")

    with pytest.raises(csms.ObjectNotFound):
        csms.charger_status_set_from_csms(internal_id=partner_evse.internal_id, status="CHARGING")


# --- GET ----------------------------------------------------------------------------------------------------


def test_get_a_charger(api):
    connector = ConnectorFactory(evse__internal_id="CP-9", evse__evse_id="NL*EXA*E9", tariff_ids=["T1"])

    response = api.get("/api/v1/chargers/CP-9")

    assert response.status_code == 200
    body = response.json()
    assert (body["internal_id"], body["evse_id"], body["location_id"]) == (
        "CP-9",
        "NL*EXA*E9",
        connector.evse.location.location_id,
    )
    assert body["connectors"][0]["tariff_ids"] == ["T1"]
    assert body["last_updated"].endswith("Z")


def test_get_an_unknown_charger_is_404(api):
    assert api.get("/api/v1/chargers/NOPE").status_code == 404


def test_list_own_locations_paginated(api):
    for n in range(3):
        ConnectorFactory(evse__location=OwnLocationFactory(location_id=f"OWN-{n}"))
    PartnerLocationFactory(location_id="THEIRS")

    response = api.get("/api/v1/locations", page_size=2)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [loc["id"] for loc in body["results"]] == ["OWN-0", "OWN-1"]
    assert body["next"].endswith("page=2&page_size=2")
    first = body["results"][0]
    assert first["coordinates"] == {"latitude": "52.09070", "longitude": "5.12140"}
    assert [e["internal_id"] for e in first["evses"]] == [EVSE.objects.get(location__location_id="OWN-0").internal_id]


def test_location_list_costs_a_constant_number_of_queries(api):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/locations").status_code == 200
        return len(ctx.captured_queries)

    ConnectorFactory()
    count()  # the API key's first use is recorded once
    few = count()
    for _ in range(5):
        ConnectorFactory()
    assert count() == few


# --- PUT location ---------------------------------------------------------------------------------------------


def test_put_location_creates_then_updates(api, receiving_partner):
    created = api.put("/api/v1/locations/LOC-9", BODY["location"])
    assert created.status_code == 201
    assert created.json()["id"] == "LOC-9"
    Location.objects.update(last_updated=OLD)

    same = api.put("/api/v1/locations/LOC-9", BODY["location"])
    assert same.status_code == 200
    assert Location.objects.get().last_updated == OLD

    renamed = api.put("/api/v1/locations/loc-9", {**BODY["location"], "name": "Renamed", "time_zone": "europe/berlin"})
    assert renamed.status_code == 200
    location = Location.objects.get()
    assert (location.location_id, location.name, location.time_zone) == ("LOC-9", "Renamed", "Europe/Berlin")
    assert location.last_updated > OLD
    assert OutboxMessage.objects.filter(partner=receiving_partner, method="PUT").count() == 2


def test_put_location_with_bad_country_is_400(api):
    response = api.put("/api/v1/locations/LOC-9", {**BODY["location"], "country": "Holland"})

    assert response.status_code == 400
    assert "is not an ISO 3166-1 country code" in response.json()["country"][0]


def test_get_a_location(api):
    OwnLocationFactory(location_id="LOC-G")

    assert api.get("/api/v1/locations/loc-g").json()["id"] == "LOC-G"
    assert api.get("/api/v1/locations/NOPE").status_code == 404


# --- OpenAPI ------------------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_charger_endpoints(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert set(paths["/api/v1/chargers/{internal_id}"]) >= {"get", "put"}
    assert "post" in paths["/api/v1/chargers/{internal_id}/status"]
    assert "get" in paths["/api/v1/locations"]
    assert "put" in paths["/api/v1/locations/{location_id}"]
    put = paths["/api/v1/chargers/{internal_id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChargerWrite")
    assert "New charger at a new location" in json.dumps(put["requestBody"]["content"]["application/json"])
    status_schema = schema["components"]["schemas"]["ChargerStatus"]["properties"]["status"]
    assert "CHARGING" in json.dumps(schema["components"]["schemas"]) and status_schema
    assert {"apiKey"} <= set(schema["components"]["securitySchemes"])


def test_a_concurrent_create_of_the_same_charger_is_409(api, monkeypatch):
    from django.db import IntegrityError

    def collide(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(csms, "_charger_upsert", collide)

    response = put_charger(api)

    assert response.status_code == 409
    assert response.json() == {"detail": "Charger 'CP-1' was changed by a concurrent request; send it again."}
