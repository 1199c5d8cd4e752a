"""roaming.locations.ocpi.render_sql: PostgreSQL writes exactly the JSON the Python renderer writes, in one query."""

from datetime import UTC, datetime

import orjson
import pytest
from django.db import connection

from roaming.locations import selectors
from roaming.locations.ocpi.render import location_to_ocpi
from roaming.locations.ocpi.render_sql import locations_json
from tests.locations.factories import ConnectorFactory, EVSEFactory, LocationFactory, location_with_evses

pytestmark = pytest.mark.django_db

IMAGE = {"url": "https://example.com/a.png", "thumbnail": "https://example.com/t.png", "category": "OWNER"}
IMAGE.update({"type": "png", "width": 640, "height": 480})
TEXT = [{"language": "en", "text": 'Ground floor, "B" wing\n\tpast the caf\u00e9 \u2603'}]
HOURS = {
    "twentyfourseven": False,
    "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
    "exceptional_openings": [{"period_begin": "2024-12-24T08:00:00Z", "period_end": "2024-12-24T12:00:00Z"}],
    "exceptional_closings": [],
}
ENERGY_MIX = {
    "is_green_energy": False,
    "energy_sources": [{"source": "SOLAR", "percentage": 12.5}, {"source": "WIND", "percentage": 87.5}],
    "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 0.123}],
    "supplier_name": "Green & Co",
    "energy_product_name": None,  # stored nested JSON is emitted as stored, nulls included
}
MICROS = datetime(2024, 6, 1, 14, 30, 5, 999999, tzinfo=UTC)  # cut, never rounded, to 14:30:05


def wire(value):
    """``value`` as a partner parses it, with every object's member order kept (dicts become item lists)."""

    def ordered(item):
        if isinstance(item, dict):
            return [(key, ordered(v)) for key, v in item.items()]
        if isinstance(item, list):
            return [ordered(v) for v in item]
        return item

    return ordered(orjson.loads(value if isinstance(value, str | bytes) else orjson.dumps(value)))


def python_rendering(ids: list[int]) -> list:
    """The Python renderer over the rows single-object GETs and pushes render (``selectors.location_list``)."""
    by_pk = {row.pk: row for row in selectors.location_list().filter(pk__in=ids)}
    return wire([location_to_ocpi(by_pk[pk]) for pk in ids if pk in by_pk])


def rich_location():
    """A Location with every member of Location, EVSE and Connector set."""
    location = LocationFactory(
        location_id="Rich-1",
        publish=False,
        publish_allowed_to=[{"uid": "012345678", "type": "RFID", "visual_number": "V1", "issuer": "Iss"}],
        name='The "quoted" \\ site',
        state="Utrecht",
        related_locations=[{"latitude": "52.089000", "longitude": "5.110000", "name": TEXT[0]}],
        parking_type="PARKING_GARAGE",
        directions=TEXT,
        operator={"name": "Operator", "website": "https://op.example.com", "logo": IMAGE},
        suboperator={"name": "Sub"},
        owner={"name": "Owner", "logo": IMAGE},
        facilities=["CAFE", "WIFI"],
        opening_times=HOURS,
        charging_when_closed=False,
        images=[IMAGE],
        energy_mix=ENERGY_MIX,
        last_updated=MICROS,
    )
    evse = EVSEFactory(
        location=location,
        uid="B-2",
        evse_id="NL*EXA*E1",
        status="CHARGING",
        status_schedule=[{"period_begin": "2024-02-01T00:00:00Z", "period_end": None, "status": "INOPERATIVE"}],
        capabilities=["RESERVABLE", "RFID_READER"],
        floor_level="-1",
        latitude="52.089444",
        longitude="5.110278",
        physical_reference="A1",
        directions=TEXT,
        parking_restrictions=["EV_ONLY", "DISABLED"],
        images=[IMAGE],
        last_updated=MICROS,
    )
    for connector_id in ("2", "1"):
        ConnectorFactory(
            evse=evse,
            connector_id=connector_id,
            max_electric_power=22000,
            tariff_ids=["T1", "t2"],
            terms_and_conditions="https://example.com/terms",
            last_updated=MICROS,
        )
    # a second EVSE listed before the first (ordered by uid), with falsy values that are information
    other = EVSEFactory(location=location, uid="A-1", latitude="52.1", longitude="")
    ConnectorFactory(evse=other, connector_id="1", max_electric_power=0)
    return location


def minimal_location():
    """A Location with only its required members, its optional JSON members empty or null, and no EVSEs."""
    return LocationFactory(
        location_id="min",
        name="",
        postal_code="",
        publish_allowed_to=[{"uid": "X", "type": "RFID"}],  # published: not sent
        operator=None,
        owner={},
        opening_times=None,
        energy_mix={},
        charging_when_closed=None,
    )


def test_the_rich_location_renders_the_same_in_both():
    location = rich_location()

    rendered = locations_json([location.pk])

    assert wire(rendered) == python_rendering([location.pk])
    data = orjson.loads(rendered)[0]
    # every member of the three objects is there (a member the test fixture misses would prove nothing)
    assert len(data) == 26
    assert [e["uid"] for e in data["evses"]] == ["A-1", "B-2"]
    assert len(data["evses"][1]) == 13
    assert len(data["evses"][1]["connectors"][0]) == 10
    assert data["last_updated"] == data["evses"][1]["connectors"][0]["last_updated"] == "2024-06-01T14:30:05Z"
    assert data["evses"][1]["coordinates"] == {"latitude": "52.089444", "longitude": "5.110278"}
    assert "coordinates" not in data["evses"][0]  # a latitude without a longitude is no GeoLocation
    assert data["evses"][0]["connectors"][0]["max_electric_power"] == 0
    assert data["charging_when_closed"] is False
    assert data["energy_mix"]["energy_product_name"] is None


def test_the_minimal_location_renders_the_same_in_both():
    location = minimal_location()
    evse_without_connectors = EVSEFactory(location=LocationFactory(location_id="bare"), evse_id="", uid="E")

    rendered = locations_json([location.pk, evse_without_connectors.location_id])

    assert wire(rendered) == python_rendering([location.pk, evse_without_connectors.location_id])
    minimal, bare = orjson.loads(rendered)
    assert list(minimal) == [
        "country_code",
        "party_id",
        "id",
        "publish",
        "address",
        "city",
        "country",
        "coordinates",
        "time_zone",
        "last_updated",
    ]
    assert bare["evses"] == [
        {"uid": "E", "status": "AVAILABLE", "connectors": [], "last_updated": "2024-01-01T12:00:00Z"}
    ]


def test_a_page_keeps_the_order_asked_and_skips_unknown_ids():
    first, second, third = (location_with_evses(evses=2, connectors=2) for _ in range(3))
    ids = [third.pk, first.pk, 0, second.pk]

    rendered = orjson.loads(locations_json(ids))

    assert [d["id"] for d in rendered] == [third.location_id, first.location_id, second.location_id]
    assert wire(locations_json(ids)) == python_rendering(ids)
    assert orjson.loads(locations_json([])) == []


def test_a_page_is_one_select_whatever_its_size(django_assert_num_queries):
    ids = [location_with_evses(evses=3, connectors=2).pk for _ in range(5)]

    # SET LOCAL jit = off, then the page
    with django_assert_num_queries(2):
        locations_json(ids[:1])
    with django_assert_num_queries(2):
        rendered = orjson.loads(locations_json(ids))

    assert sum(len(e["connectors"]) for d in rendered for e in d["evses"]) == 30


def test_jit_is_off_in_the_transaction_of_the_page():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
        locations_json([])
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db(transaction=True)
def test_jit_stays_as_it_was_for_the_connection_after_the_page():
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
        locations_json([])
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_the_session_time_zone_does_not_shift_timestamps():
    location = LocationFactory(last_updated=MICROS)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'Asia/Kolkata'")

    assert orjson.loads(locations_json([location.pk]))[0]["last_updated"] == "2024-06-01T14:30:05Z"
