"""locations_ingest_page: one pulled page of a partner's Locations upserted; bad objects skipped and reported."""

import copy
from decimal import Decimal

import pytest

from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services.ingest import locations_ingest_page
from tests.locations.conftest import example
from tests.locations.factories import location_with_evses
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_id(cpo):
    return cpo[0].pk


def page(count: int, *, prefix: str = "P", last_updated: str = "2024-01-01T00:00:00Z") -> list[dict]:
    """``count`` Locations derived from the spec's location_example.json (2 EVSEs, 3 Connectors each)."""
    base = example("location_example.json")
    objects = []
    for i in range(count):
        location = copy.deepcopy(base)
        location.update(id=f"{prefix}{i}", last_updated=last_updated)
        objects.append(location)
    return objects


def test_a_page_is_created_then_updated(partner_id):
    objects = page(3)

    assert locations_ingest_page(partner_id=partner_id, objects=objects) == {
        "accepted": 3,
        "ignored": 0,
        "rejected": [],
    }
    assert Location.objects.filter(source_partner_id=partner_id).count() == 3
    assert (EVSE.objects.count(), Connector.objects.count()) == (6, 9)

    objects[0]["name"] = "Renamed"
    objects[0]["evses"] = objects[0]["evses"][:1]
    objects[0]["last_updated"] = "2024-02-01T00:00:00Z"
    assert locations_ingest_page(partner_id=partner_id, objects=objects)["accepted"] == 3
    renamed = Location.objects.get(location_id="P0")
    assert renamed.name == "Renamed"
    # the EVSE left out is kept, as REMOVED (mod_locations.asciidoc: EVSEs are never deleted)
    assert sorted(renamed.evses.values_list("status", flat=True)) == ["AVAILABLE", "REMOVED"]
    assert renamed.raw == objects[0]


def test_bad_objects_are_reported_and_the_rest_is_stored(partner_id):
    objects = page(4)
    del objects[1]["evses"][0]["connectors"][1]["max_voltage"]
    objects[2].update(country_code="NL", party_id="TNM")  # not one of this partner's roles
    objects.append("not an object")

    result = locations_ingest_page(partner_id=partner_id, objects=objects)

    assert result["accepted"] == 2
    assert result["ignored"] == 0
    assert result["rejected"] == [
        "[1] 'P1': evses[0].connectors[1].max_voltage: This field is required.",
        "[2] 'P2': country_code/party_id NL/TNM is not one of the partner's roles as CPO",
        "[4]: Invalid data. Expected a dictionary, but got str.",
    ]
    assert sorted(Location.objects.values_list("location_id", flat=True)) == ["P0", "P3"]


def test_older_objects_are_ignored(partner_id):
    locations_ingest_page(partner_id=partner_id, objects=page(2, last_updated="2024-03-01T00:00:00Z"))
    objects = page(2, last_updated="2024-01-01T00:00:00Z")
    objects[1]["last_updated"] = "2024-03-01T00:00:00Z"  # same as held: applied
    for location in objects:
        location["name"] = "From an older pull"

    result = locations_ingest_page(partner_id=partner_id, objects=objects)

    assert result == {"accepted": 1, "ignored": 1, "rejected": []}
    names = dict(Location.objects.values_list("location_id", "name"))
    assert names == {"P0": "Gent Zuid", "P1": "From an older pull"}


def test_the_newer_of_two_copies_in_a_page_wins(partner_id):
    older, newer = page(1, last_updated="2024-01-01T00:00:00Z") + page(1, last_updated="2024-02-01T00:00:00Z")
    newer["name"] = "Newer"
    newer["id"] = "p0"  # same CiString id

    result = locations_ingest_page(partner_id=partner_id, objects=[newer, older])

    assert result == {"accepted": 1, "ignored": 1, "rejected": []}
    assert Location.objects.get().name == "Newer"


def test_our_own_locations_are_not_overwritten(settings):
    partner, _ = registered_partner_with_token(
        country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID, role="CPO"
    )
    own = location_with_evses(evses=1, connectors=1, location_id="P0")
    objects = page(1)
    objects[0].update(country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID)

    result = locations_ingest_page(partner_id=partner.pk, objects=objects)

    assert result == {"accepted": 0, "ignored": 0, "rejected": ["'P0': belongs to this platform, not to the partner"]}
    own.refresh_from_db()
    assert own.source_partner_id is None and own.name != "Gent Zuid"


def test_raw_is_stored_as_json(partner_id):
    objects = page(1)
    objects[0]["coordinates"]["latitude"] = Decimal("51.047599")  # what our JSON parser produces
    objects[0]["x_note"] = "nul\x00byte"

    assert locations_ingest_page(partner_id=partner_id, objects=objects)["accepted"] == 1

    raw = Location.objects.get().raw
    assert raw["coordinates"]["latitude"] == 51.047599
    assert raw["x_note"] == "nulbyte"  # PostgreSQL's jsonb cannot hold NUL


def test_an_empty_page(partner_id):
    assert locations_ingest_page(partner_id=partner_id, objects=[]) == {"accepted": 0, "ignored": 0, "rejected": []}


def test_queries_do_not_grow_with_the_page(partner_id, django_assert_max_num_queries):
    locations_ingest_page(partner_id=partner_id, objects=page(5, prefix="OLD"))
    # roles, lock+Locations, EVSEs, Connectors, mark REMOVED, delete Connectors, transaction, and per table upserted
    # (Locations, EVSEs, Connectors): staging table, COPY, INSERT ... ON CONFLICT
    mixed = page(50, prefix="NEW") + page(5, prefix="OLD", last_updated="2024-06-01T00:00:00Z")
    for location in mixed[-5:]:
        location["evses"] = location["evses"][:1]  # EVSEs to mark REMOVED as well

    with django_assert_max_num_queries(13):
        result = locations_ingest_page(partner_id=partner_id, objects=mixed)

    assert result == {"accepted": 55, "ignored": 0, "rejected": []}
    assert Location.objects.count() == 55
    assert EVSE.objects.count() == 55 * 2
    assert EVSE.objects.filter(status="REMOVED").count() == 5
    assert Connector.objects.count() == 55 * 3
