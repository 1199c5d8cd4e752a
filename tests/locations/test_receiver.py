"""Receiver interface (our eMSP): a CPO partner PUTs and PATCHes its Locations, EVSEs and Connectors under its own
country_code/party_id, and GETs them back (mod_locations.asciidoc, Receiver Interface)."""

import copy
import json
from datetime import UTC, datetime

import pytest

from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.ocpi.render import location_to_ocpi
from tests.conftest import auth
from tests.locations.conftest import RECEIVER, normalise
from tests.locations.factories import location_with_evses
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

LATER = "2019-06-24T12:39:09Z"
LATER_DT = datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)


def ocpi_status(response) -> int:
    return response.json()["status_code"]


def stored(location_id: str = "LOC1") -> dict:
    """The Location as we hold it, rendered (what a GET would answer)."""
    return location_to_ocpi(Location.objects.prefetch_related("evses__connectors").get(location_id=location_id))


@pytest.fixture
def loc1(push, location_example):
    """The spec's location_example.json stored for BE/BEC (EVSE 3256: connectors 1, 2; EVSE 3257: connector 1)."""
    assert push("PUT", "BE/BEC/LOC1", location_example).status_code == 201
    return location_example


# --- PUT Location -------------------------------------------------------------------------------------------------


def test_put_creates_then_replaces(push, cpo, location_example):
    partner, _ = cpo

    created = push("PUT", "BE/BEC/LOC1", location_example)
    assert created.status_code == 201
    assert created.json()["status_code"] == 1000
    assert "data" not in created.json()  # replies to pushes carry no data

    row = Location.objects.get()
    assert row.source_partner == partner
    assert row.received_at is not None
    assert row.raw == location_example
    assert EVSE.objects.count() == 2 and Connector.objects.count() == 3

    replaced = push("PUT", "BE/BEC/LOC1", location_example)
    assert replaced.status_code == 200
    assert ocpi_status(replaced) == 1000
    assert Location.objects.count() == 1 and EVSE.objects.count() == 2 and Connector.objects.count() == 3


def test_get_returns_what_was_put(push, loc1):
    response = push("GET", "BE/BEC/LOC1")

    assert response.status_code == 200
    assert normalise(response.json()["data"]) == normalise(loc1)
    assert push("GET", "be/bec/loc1").json()["data"]["id"] == "LOC1"  # CiStrings, in URL too


def test_put_replaces_the_whole_object(push, loc1):
    """Omitted optional members revert to empty; Connectors no longer sent are gone; an EVSE no longer sent is kept
    with status REMOVED (mod_locations.asciidoc: EVSEs are never deleted, sessions and CDRs refer to them)."""
    body = copy.deepcopy(loc1)
    del body["name"]
    del body["operator"]
    body["evses"] = [body["evses"][0]]
    body["evses"][0]["connectors"] = [body["evses"][0]["connectors"][1]]
    body["last_updated"] = LATER

    assert push("PUT", "BE/BEC/LOC1", body).status_code == 200

    held = stored()
    assert normalise({**held, "evses": held["evses"][:1]}) == normalise(body)
    removed = EVSE.objects.get(uid="3257")
    assert (removed.status, removed.last_updated) == ("REMOVED", LATER_DT)
    assert held["evses"][1]["status"] == "REMOVED"
    assert list(EVSE.objects.order_by("uid").values_list("uid", flat=True)) == ["3256", "3257"]
    assert list(Connector.objects.filter(evse__uid="3256").values_list("connector_id", flat=True)) == ["2"]

    # sent again, it is back with the status the CPO gives it
    body["evses"].append({**loc1["evses"][1], "last_updated": LATER})
    assert push("PUT", "BE/BEC/LOC1", body).status_code == 200
    assert EVSE.objects.get(uid="3257").status == loc1["evses"][1]["status"]


def test_put_keeps_rows_and_stored_spelling_of_ids(push, loc1):
    evse_pk = EVSE.objects.get(uid="3256").pk
    body = copy.deepcopy(loc1)
    body["id"] = "loc1"
    body["evses"][0]["uid"] = "3256"
    body["name"] = "Renamed"

    assert push("PUT", "BE/BEC/Loc1", body).status_code == 200

    row = Location.objects.get()
    assert (row.location_id, row.name) == ("LOC1", "Renamed")
    assert EVSE.objects.get(uid="3256").pk == evse_pk  # updated in place, not deleted and re-created


def test_put_of_an_older_location_is_acknowledged_and_ignored(push, loc1):
    body = copy.deepcopy(loc1)
    body["name"] = "Stale name"
    body["last_updated"] = "2015-01-01T00:00:00Z"

    response = push("PUT", "BE/BEC/LOC1", body)

    assert response.status_code == 200
    assert ocpi_status(response) == 1000
    assert "older" in response.json()["status_message"]
    assert stored()["name"] == "Gent Zuid"


def test_invalid_put_is_refused_and_changes_nothing(push, loc1):
    before = stored()
    body = copy.deepcopy(loc1)
    body["name"] = "Would change"
    del body["evses"][0]["connectors"][1]["max_voltage"]
    body["evses"][1]["status"] = "BROKEN"

    response = push("PUT", "BE/BEC/LOC1", body)

    assert response.status_code == 200  # reached the OCPI layer: no HTTP error
    assert ocpi_status(response) == 2001
    assert response.json()["status_message"] == (
        "evses[0].connectors[1].max_voltage: This field is required.; evses[1].status: 'BROKEN' is not a valid Status"
    )
    assert "data" not in response.json()
    assert stored() == before


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"id": "LOC2"}, "BE/BEC/LOC1", "id: 'LOC2' does not match the location_id 'LOC1' in the URL"),
        ({"country_code": "NL"}, "BE/BEC/LOC1", "country_code: 'NL' does not match the country_code 'BE' in the URL"),
        ({"party_id": "XYZ"}, "BE/BEC/LOC1", "party_id: 'XYZ' does not match the party_id 'BEC' in the URL"),
    ],
)
def test_put_ids_must_match_the_url(push, location_example, change, path, message):
    response = push("PUT", path, {**location_example, **change})

    assert response.status_code == 200
    assert ocpi_status(response) == 2001
    assert response.json()["status_message"] == message
    assert not Location.objects.exists()


def test_body_must_be_a_json_object(push, location_example, client, cpo):
    assert ocpi_status(push("PUT", "BE/BEC/LOC1", "LOC1")) == 2001
    # not JSON at all: the transport layer answers 400
    response = client.put(f"{RECEIVER}/BE/BEC/LOC1", data="{nope", content_type="application/json", **auth(cpo[1]))
    assert response.status_code == 400
    # a single object wrapped in a list is taken for the object
    assert push("PUT", "BE/BEC/LOC1", [location_example]).status_code == 201


# --- parties and tokens ---------------------------------------------------------------------------------------------


def test_a_partner_cannot_write_under_another_party(push, location_example):
    other, other_token = registered_partner_with_token(country_code="NL", party_id="TNM", role="CPO")
    body = {**location_example, "country_code": "NL", "party_id": "TNM"}

    response = push("PUT", "NL/TNM/LOC1", body)  # BE/BEC's token, NL/TNM's URL

    assert response.status_code == 404
    assert ocpi_status(response) == 2001
    assert "not one of your registered roles" in response.json()["status_message"]
    assert not Location.objects.exists()
    # the party itself may
    assert push("PUT", "NL/TNM/LOC1", body, token=other_token).status_code == 201


def test_a_partner_cannot_read_or_patch_another_partys_location(push, loc1):
    _, other_token = registered_partner_with_token(country_code="NL", party_id="TNM", role="CPO")

    assert push("GET", "BE/BEC/LOC1", token=other_token).status_code == 404
    response = push("PATCH", "BE/BEC/LOC1/3256", {"status": "CHARGING", "last_updated": LATER}, token=other_token)
    assert response.status_code == 404
    assert stored()["evses"][0]["status"] == "AVAILABLE"


def test_our_own_locations_are_never_written_by_a_partner(client, settings, location_example):
    """Guard for a partner registered with a role under our own country_code/party_id."""
    own = location_with_evses(evses=1, connectors=1, location_id="LOC1")
    before = location_to_ocpi(own)
    _, token = registered_partner_with_token(
        country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID, role="CPO"
    )
    path = f"{RECEIVER}/{settings.OCPI_COUNTRY_CODE}/{settings.OCPI_PARTY_ID}/LOC1"
    body = {**location_example, "country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}

    put = client.put(path, data=json.dumps(body), content_type="application/json", **auth(token))
    patch = client.patch(
        path, data=json.dumps({"name": "x", "last_updated": LATER}), content_type="application/json", **auth(token)
    )
    get = client.get(path, **auth(token))

    assert (put.json()["status_code"], patch.json()["status_code"]) == (2001, 2001)
    assert get.status_code == 404  # the Receiver only serves what partners sent
    own.refresh_from_db()
    assert location_to_ocpi(own) == before


def test_tokens_are_required(client, location_example):
    from roaming.partners.services import partner_invite

    _, token_a = partner_invite(name="Invited CPO")
    body = json.dumps(location_example)

    missing = client.put(f"{RECEIVER}/BE/BEC/LOC1", data=body, content_type="application/json")
    token_a_put = client.put(f"{RECEIVER}/BE/BEC/LOC1", data=body, content_type="application/json", **auth(token_a))

    assert (missing.status_code, token_a_put.status_code) == (401, 401)
    assert not Location.objects.exists()


# --- PUT EVSE / Connector -------------------------------------------------------------------------------------------


def test_put_new_evse_bumps_the_location(push, loc1):
    evse = copy.deepcopy(loc1["evses"][0])
    evse.update(uid="3258", evse_id="BE*BEC*E041503003", last_updated=LATER)

    response = push("PUT", "BE/BEC/LOC1/3258", evse)

    assert response.status_code == 201
    assert [e["uid"] for e in stored()["evses"]] == ["3256", "3257", "3258"]
    assert stored()["last_updated"] == LATER
    assert normalise(push("GET", "BE/BEC/LOC1/3258").json()["data"]) == normalise(evse)


def test_put_evse_replaces_its_connectors(push, loc1):
    evse = copy.deepcopy(loc1["evses"][0])
    evse["connectors"] = [{**evse["connectors"][0], "id": "3", "max_amperage": 32}]
    evse["last_updated"] = LATER

    assert push("PUT", "BE/BEC/LOC1/3256", evse).status_code == 200

    assert [(c["id"], c["max_amperage"]) for c in stored()["evses"][0]["connectors"]] == [("3", 32)]
    assert len(stored()["evses"]) == 2


def test_put_evse_under_an_unknown_location_is_404_2003(push, location_example):
    response = push("PUT", "BE/BEC/NOPE/3256", location_example["evses"][0])

    assert response.status_code == 404
    assert ocpi_status(response) == 2003
    assert not EVSE.objects.exists()


def test_put_evse_uid_must_match(push, loc1):
    response = push("PUT", "BE/BEC/LOC1/3256", {**loc1["evses"][1], "last_updated": LATER})

    assert ocpi_status(response) == 2001
    assert response.json()["status_message"] == "uid: '3257' does not match the evse_uid '3256' in the URL"


def test_put_connector_creates_and_bumps_parents(push, loc1):
    connector = {**loc1["evses"][1]["connectors"][0], "id": "2", "standard": "CHADEMO", "last_updated": LATER}

    response = push("PUT", "BE/BEC/LOC1/3257/2", connector)

    assert response.status_code == 201
    location = stored()
    assert location["last_updated"] == LATER
    assert location["evses"][1]["last_updated"] == LATER
    assert location["evses"][0]["last_updated"] == "2015-06-28T08:12:01Z"  # siblings untouched
    assert push("GET", "BE/BEC/LOC1/3257/2").json()["data"] == connector


def test_put_connector_replaces(push, loc1):
    connector = {**loc1["evses"][0]["connectors"][0], "max_electric_power": 11000, "last_updated": LATER}

    assert push("PUT", "BE/BEC/LOC1/3256/1", connector).status_code == 200

    assert stored()["evses"][0]["connectors"][0]["max_electric_power"] == 11000


def test_put_connector_of_unknown_evse_is_404_2000(push, loc1):
    response = push("PUT", "BE/BEC/LOC1/9999/1", {**loc1["evses"][0]["connectors"][0], "last_updated": LATER})

    assert response.status_code == 404
    assert ocpi_status(response) == 2000


# --- PATCH ----------------------------------------------------------------------------------------------------------


def test_patch_location_changes_only_what_it_carries(push, loc1):
    response = push("PATCH", "BE/BEC/LOC1", {"name": "Interparking Gent Zuid", "last_updated": LATER})

    assert response.status_code == 200
    assert ocpi_status(response) == 1000
    assert "data" not in response.json()
    expected = {**loc1, "name": "Interparking Gent Zuid", "last_updated": LATER}
    assert normalise(stored()) == normalise(expected)


def test_patch_evse_status_bumps_the_location(push, loc1):
    response = push("PATCH", "BE/BEC/LOC1/3256", {"status": "CHARGING", "last_updated": LATER})

    assert response.status_code == 200
    location = stored()
    assert location["evses"][0]["status"] == "CHARGING"
    assert location["evses"][0]["last_updated"] == LATER
    assert location["last_updated"] == LATER
    assert location["evses"][0]["connectors"] == loc1["evses"][0]["connectors"]


def test_patch_connector_bumps_evse_and_location(push, loc1):
    response = push("PATCH", "BE/BEC/LOC1/3256/2", {"tariff_ids": ["15"], "last_updated": LATER})

    assert response.status_code == 200
    location = stored()
    assert location["evses"][0]["connectors"][1]["tariff_ids"] == ["15"]
    assert location["evses"][0]["connectors"][1]["last_updated"] == LATER
    assert (location["evses"][0]["last_updated"], location["last_updated"]) == (LATER, LATER)


def test_parents_never_move_back(push, loc1):
    """A child update newer than the child but older than its parents leaves the parents' last_updated alone."""
    response = push("PATCH", "BE/BEC/LOC1/3256/1", {"max_amperage": 32, "last_updated": "2015-04-01T00:00:00Z"})

    assert ocpi_status(response) == 1000
    location = stored()
    assert location["evses"][0]["connectors"][0]["max_amperage"] == 32
    assert location["evses"][0]["last_updated"] == "2015-06-28T08:12:01Z"
    assert location["last_updated"] == "2015-06-29T20:39:09Z"


def test_patch_without_last_updated_is_refused(push, loc1):
    before = stored()

    response = push("PATCH", "BE/BEC/LOC1/3256", {"status": "CHARGING"})

    assert response.status_code == 200
    assert ocpi_status(response) == 2001
    assert response.json()["status_message"] == "last_updated: This field is required."
    assert stored() == before


@pytest.mark.parametrize(
    "path",
    ["BE/BEC/LOC1", "BE/BEC/LOC1/3256", "BE/BEC/LOC1/3256/1"],
)
def test_stale_patch_is_acknowledged_and_ignored(push, loc1, path):
    before = stored()

    response = push(
        "PATCH", path, {"physical_reference": "X", "max_amperage": 1, "last_updated": "2014-01-01T00:00:00Z"}
    )

    assert response.status_code == 200
    assert ocpi_status(response) == 1000
    assert stored() == before


@pytest.mark.parametrize(
    ("path", "status_code"),
    [("BE/BEC/NOPE", 2003), ("BE/BEC/NOPE/3256", 2003), ("BE/BEC/LOC1/NOPE", 2000), ("BE/BEC/LOC1/3256/9", 2000)],
)
def test_patch_of_unknown_object_is_404(push, loc1, path, status_code):
    response = push("PATCH", path, {"status": "CHARGING", "last_updated": LATER})

    assert response.status_code == 404
    assert ocpi_status(response) == status_code
    assert "data" not in response.json()


def test_patch_ids_may_be_omitted_but_must_match(push, loc1):
    mismatch = push("PATCH", "BE/BEC/LOC1/3256", {"uid": "3257", "status": "CHARGING", "last_updated": LATER})
    same = push("PATCH", "BE/BEC/LOC1/3256", {"uid": "3256", "status": "CHARGING", "last_updated": LATER})

    assert ocpi_status(mismatch) == 2001
    assert ocpi_status(same) == 1000


def test_patch_location_with_evses_upserts_them(push, loc1):
    new_evse = {**copy.deepcopy(loc1["evses"][1]), "uid": "3258", "last_updated": LATER}

    response = push("PATCH", "BE/BEC/LOC1", {"evses": [new_evse], "last_updated": "2016-01-01T00:00:00Z"})

    assert ocpi_status(response) == 1000
    location = stored()
    assert [e["uid"] for e in location["evses"]] == ["3256", "3257", "3258"]  # others stay: PATCH cannot remove
    assert location["last_updated"] == LATER  # the newest child wins


def test_stale_objects_nested_in_a_patch_are_skipped(push, loc1):
    old_evse = {**copy.deepcopy(loc1["evses"][0]), "status": "OUTOFORDER", "last_updated": "2015-01-01T00:00:00Z"}
    old_connector = {**loc1["evses"][0]["connectors"][0], "max_amperage": 1, "last_updated": "2015-01-01T00:00:00Z"}

    location_patch = push("PATCH", "BE/BEC/LOC1", {"evses": [old_evse], "name": "New", "last_updated": LATER})
    evse_patch = push("PATCH", "BE/BEC/LOC1/3256", {"connectors": [old_connector], "last_updated": LATER})

    assert (ocpi_status(location_patch), ocpi_status(evse_patch)) == (1000, 1000)
    location = stored()
    assert location["name"] == "New"
    assert location["evses"][0]["status"] == "AVAILABLE"
    assert location["evses"][0]["connectors"][0]["max_amperage"] == 16


def test_patch_cannot_remove_data(push, loc1):
    response = push(
        "PATCH", "BE/BEC/LOC1/3256/1", {"tariff_ids": [], "max_electric_power": None, "last_updated": LATER}
    )

    assert ocpi_status(response) == 1000
    assert stored()["evses"][0]["connectors"][0]["tariff_ids"] == ["11"]


def test_get_evse_and_connector(push, loc1):
    evse = push("GET", "BE/BEC/LOC1/3257")
    connector = push("GET", "BE/BEC/loc1/3256/2")
    missing = push("GET", "BE/BEC/LOC1/3257/2")

    assert evse.json()["data"] == loc1["evses"][1]
    assert connector.json()["data"] == loc1["evses"][0]["connectors"][1]
    assert (missing.status_code, ocpi_status(missing)) == (404, 2000)


def test_lenient_input_is_stored_strictly(push, location_example):
    body = copy.deepcopy(location_example)
    body["coordinates"] = {"latitude": 51.0476, "longitude": "3.729944"}
    body["parking_type"] = "on_street"
    body["last_updated"] = "2015-06-29T22:39:09+02:00"
    body["evses"][0]["connectors"][0]["standard"] = "iec_62196_t2"

    assert push("PUT", "BE/BEC/LOC1", body).status_code == 201

    location = push("GET", "BE/BEC/LOC1").json()["data"]
    assert location["coordinates"]["latitude"] == "51.04760"
    assert location["parking_type"] == "ON_STREET"
    assert location["last_updated"] == "2015-06-29T20:39:09Z"
    assert location["evses"][0]["connectors"][0]["standard"] == "IEC_62196_T2"
    assert Location.objects.get().raw["coordinates"]["latitude"] == 51.0476  # raw keeps what was sent
