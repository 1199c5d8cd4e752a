"""roaming.locations.ocpi.render: exact OCPI 2.2.1 JSON, empty optionals left out, prefetches honoured."""

from datetime import datetime, timedelta, timezone

import pytest

from roaming.locations import selectors
from roaming.locations.ocpi.render import connector_to_ocpi, evse_to_ocpi, location_to_ocpi
from tests.locations.factories import ConnectorFactory, EVSEFactory, LocationFactory, location_with_evses

pytestmark = pytest.mark.django_db

# mod_locations.asciidoc, Location Object: the spec's member order
LOCATION_ORDER = [
    "country_code",
    "party_id",
    "id",
    "publish",
    "publish_allowed_to",
    "name",
    "address",
    "city",
    "postal_code",
    "state",
    "country",
    "coordinates",
    "related_locations",
    "parking_type",
    "evses",
    "directions",
    "operator",
    "suboperator",
    "owner",
    "facilities",
    "time_zone",
    "opening_times",
    "charging_when_closed",
    "images",
    "energy_mix",
    "last_updated",
]
IMAGE = {"url": "https://example.com/a.png", "category": "LOCATION", "type": "png"}
TEXT = [{"language": "en", "text": "Ground floor"}]


def test_connector_without_optionals_has_only_required_members():
    connector = ConnectorFactory(connector_id="1", max_voltage=230, max_amperage=32)

    assert connector_to_ocpi(connector) == {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": "2024-01-01T12:00:00Z",
    }


def test_connector_with_optionals():
    connector = ConnectorFactory(
        max_electric_power=0, tariff_ids=["T1", "t2"], terms_and_conditions="https://example.com/terms"
    )

    data = connector_to_ocpi(connector)

    assert data["max_electric_power"] == 0  # zero is a value, not "empty"
    assert data["tariff_ids"] == ["T1", "t2"]
    assert data["terms_and_conditions"] == "https://example.com/terms"
    assert list(data)[-1] == "last_updated"


def test_evse_without_optionals_and_its_connectors():
    evse = EVSEFactory(uid="E1", evse_id="", internal_id="charger-7")
    ConnectorFactory(evse=evse, connector_id="2")
    ConnectorFactory(evse=evse, connector_id="1")

    data = evse_to_ocpi(evse)

    assert list(data) == ["uid", "status", "connectors", "last_updated"]  # internal_id is ours, never sent
    assert [c["id"] for c in data["connectors"]] == ["1", "2"]


def test_evse_with_every_member():
    evse = EVSEFactory(
        uid="E1",
        evse_id="NL*EXA*E1",
        status="CHARGING",
        status_schedule=[{"period_begin": "2024-02-01T00:00:00Z", "status": "INOPERATIVE"}],
        capabilities=["RESERVABLE"],
        floor_level="-1",
        latitude="52.089444",
        longitude="5.110278",
        physical_reference="A1",
        directions=TEXT,
        parking_restrictions=["EV_ONLY"],
        images=[IMAGE],
    )
    ConnectorFactory(evse=evse)

    data = evse_to_ocpi(evse)

    assert list(data) == [
        "uid",
        "evse_id",
        "status",
        "status_schedule",
        "capabilities",
        "connectors",
        "floor_level",
        "coordinates",
        "physical_reference",
        "directions",
        "parking_restrictions",
        "images",
        "last_updated",
    ]
    assert data["coordinates"] == {"latitude": "52.089444", "longitude": "5.110278"}


def test_location_with_every_member_in_spec_order():
    location = LocationFactory(
        publish=False,
        publish_allowed_to=[{"uid": "012345678", "type": "RFID"}],
        state="Utrecht",
        related_locations=[{"latitude": "52.089000", "longitude": "5.110000", "name": TEXT[0]}],
        parking_type="PARKING_GARAGE",
        directions=TEXT,
        operator={"name": "Operator"},
        suboperator={"name": "Sub"},
        owner={"name": "Owner", "logo": IMAGE},
        facilities=["CAFE", "WIFI"],
        opening_times={"twentyfourseven": True},
        charging_when_closed=False,
        images=[IMAGE],
        energy_mix={"is_green_energy": True},
    )
    EVSEFactory(location=location)

    data = location_to_ocpi(location)

    assert list(data) == LOCATION_ORDER
    assert data["coordinates"] == {"latitude": "52.089444", "longitude": "5.110278"}
    assert data["charging_when_closed"] is False  # false is information, only null is left out


def test_location_leaves_out_empty_optionals():
    location = LocationFactory(name="", postal_code="", publish_allowed_to=[{"uid": "X", "type": "RFID"}])

    data = location_to_ocpi(location)

    # publish_allowed_to "may only be used when publish is false": not emitted for a published Location
    assert list(data) == [
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


def test_datetimes_are_utc_with_z():
    plus_two = timezone(timedelta(hours=2))
    location = LocationFactory(last_updated=datetime(2024, 6, 1, 14, 30, 5, 123456, tzinfo=plus_two))

    assert location_to_ocpi(location)["last_updated"] == "2024-06-01T12:30:05Z"


def test_rendering_a_selected_page_runs_no_queries(django_assert_num_queries):
    for _ in range(3):
        location_with_evses(evses=2, connectors=2)
    locations = list(selectors.location_list(own=True))

    with django_assert_num_queries(0):
        rendered = [location_to_ocpi(location) for location in locations]

    assert [len(r["evses"]) for r in rendered] == [2, 2, 2]
    assert all(len(e["connectors"]) == 2 for r in rendered for e in r["evses"])
