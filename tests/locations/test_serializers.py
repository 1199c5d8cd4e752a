"""roaming.locations.ocpi.serializers: every class of mod_locations 2.2.1 validated, leniently parsed, strictly
normalised; errors name the path of the offending member."""

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from roaming.locations.ocpi.serializers import (
    ConnectorPatchSerializer,
    ConnectorSerializer,
    EvsePatchSerializer,
    EvseSerializer,
    HoursSerializer,
    LocationPatchSerializer,
    LocationSerializer,
)
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.serializers import EnergyMixSerializer, GeoLocationSerializer
from tests.locations.conftest import EXAMPLES, example

LOCATION_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("location_example*.json"))


def valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def errors(serializer_class, data) -> list[str]:
    serializer = serializer_class(data=data)
    assert not serializer.is_valid()
    return flatten_errors(serializer.errors)


@pytest.fixture
def location():
    return copy.deepcopy(example("location_example.json"))


@pytest.fixture
def connector(location):
    return location["evses"][0]["connectors"][0]


@pytest.fixture
def evse(location):
    return location["evses"][0]


def test_examples_present():
    assert len(LOCATION_EXAMPLES) == 6


@pytest.mark.parametrize("name", LOCATION_EXAMPLES)
def test_spec_location_examples_are_valid(name):
    data = valid(LocationSerializer, example(name))

    assert data["last_updated"].tzinfo is not None


def test_ids_keep_their_case_party_is_upper_cased(location):
    location.update(country_code="be", party_id="bec", id="Loc-1")

    data = valid(LocationSerializer, location)

    assert (data["country_code"], data["party_id"], data["id"]) == ("BE", "BEC", "Loc-1")


def test_unknown_members_are_ignored(location):
    location["x_vendor"] = {"anything": 1}
    location["evses"][0]["floor"] = -1

    data = valid(LocationSerializer, location)

    assert "x_vendor" not in data
    assert "floor" not in data["evses"][0]


def test_null_is_absent(location):
    location.update(name=None, evses=None, opening_times=None, postal_code=None)

    data = valid(LocationSerializer, location)

    assert not {"name", "evses", "opening_times", "postal_code"} & set(data)


def test_missing_nested_member_is_reported_with_its_path(location):
    del location["evses"][1]["connectors"][0]["max_voltage"]
    del location["coordinates"]["longitude"]

    assert sorted(errors(LocationSerializer, location)) == [
        "coordinates.longitude: This field is required.",
        "evses[1].connectors[0].max_voltage: This field is required.",
    ]


@pytest.mark.parametrize(
    "member",
    [
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
    ],
)
def test_required_members_of_a_location(location, member):
    del location[member]

    assert errors(LocationSerializer, location) == [f"{member}: This field is required."]


def test_lengths_and_control_characters(location):
    location["city"] = "x" * 46
    location["name"] = "line\nbreak"
    location["id"] = "é"

    messages = errors(LocationSerializer, location)

    assert "city: at most 45 characters allowed, got 46" in messages
    assert "name: control characters (CR, LF, TAB...) are not allowed" in messages
    assert "id: only printable ASCII characters are allowed" in messages


# --- GeoLocation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("51.047599", "51.047599"),
        ("-1.0475991", "-1.0475991"),
        (Decimal("51.047599"), "51.047599"),  # JSON number (our parser reads floats as Decimal)
        (51.0476, "51.04760"),  # too few decimals: padded to the regex's minimum of five
        ("51.123456789", "51.1234568"),  # too many: rounded to seven
        (7, "7.00000"),
        # the regex allows 7 decimals with a sign, 11 characters, but latitude is string(10): one decimal less
        ("-51.0475991", "-51.047599"),
    ],
)
def test_latitude_is_normalised(sent, stored):
    data = valid(GeoLocationSerializer, {"latitude": sent, "longitude": "3.729944"})

    assert data["latitude"] == stored


def test_longitude_keeps_within_string_11():
    data = valid(GeoLocationSerializer, {"latitude": "-12.3456789", "longitude": "-126.1049651"})

    assert data == {"latitude": "-12.345679", "longitude": "-126.104965"}


@pytest.mark.parametrize(
    ("latitude", "message"),
    [
        ("91.000000", "coordinates.latitude: 91.000000 is outside -90..90"),
        ("north", "coordinates.latitude: 'north' is not a decimal degree value such as 51.047599"),
        (True, "coordinates.latitude: 'True' is not a decimal degree value such as 51.047599"),
    ],
)
def test_invalid_latitude(location, latitude, message):
    location["coordinates"]["latitude"] = latitude

    assert errors(LocationSerializer, location) == [message]


def test_longitude_range(location):
    location["coordinates"]["longitude"] = "-180.5"

    assert errors(LocationSerializer, location) == ["coordinates.longitude: -180.5 is outside -180..180"]


# --- enums ---------------------------------------------------------------------------------------------------------


def test_enums_match_case_insensitively_and_are_stored_in_spec_spelling(connector):
    connector.update(standard="iec_60309_2_SINGLE_16", format="socket", power_type="ac_1_phase")

    data = valid(ConnectorSerializer, connector)

    assert (data["standard"], data["format"], data["power_type"]) == ("IEC_60309_2_single_16", "SOCKET", "AC_1_PHASE")


def test_unknown_required_enum_value_is_refused(connector):
    connector["standard"] = "IEC_62196_T9"

    assert errors(ConnectorSerializer, connector) == ["standard: 'IEC_62196_T9' is not a valid ConnectorType"]


def test_unknown_informational_enum_values_are_dropped(location):
    location["facilities"] = ["cafe", "SPACEPORT", "CAFE", 7]
    location["parking_type"] = "ON_THE_MOON"
    location["evses"][0]["capabilities"] = ["reservable", "TELEPORT"]
    location["evses"][0]["parking_restrictions"] = ["ev_only"]

    data = valid(LocationSerializer, location)

    assert data["facilities"] == ["CAFE"]
    assert data["parking_type"] is None
    assert data["evses"][0]["capabilities"] == ["RESERVABLE"]
    assert data["evses"][0]["parking_restrictions"] == ["EV_ONLY"]


def test_status_is_required_and_checked(evse):
    evse["status"] = "BROKEN"

    assert errors(EvseSerializer, evse) == ["status: 'BROKEN' is not a valid Status"]


# --- EVSE and Connector -------------------------------------------------------------------------------------------


def test_numbers_where_strings_are_expected_are_read_as_text(evse):
    evse["physical_reference"] = 3
    evse["floor_level"] = -1

    data = valid(EvseSerializer, evse)

    assert (data["physical_reference"], data["floor_level"]) == ("3", "-1")


def test_an_evse_needs_a_connector(evse):
    evse["connectors"] = []

    assert errors(EvseSerializer, evse) == ["connectors: This list may not be empty."]


def test_duplicate_ids_are_refused_case_insensitively(location):
    location["evses"][0]["connectors"][0]["id"] = "c1"
    location["evses"][0]["connectors"][1]["id"] = "C1"

    assert errors(LocationSerializer, location) == [
        "evses[0].connectors[1].id: duplicate id 'C1' (ids are case-insensitive)"
    ]
    location["evses"][0]["connectors"][1]["id"] = "2"
    location["evses"][0]["uid"], location["evses"][1]["uid"] = "abc", "ABC"
    assert errors(LocationSerializer, location) == ["evses[1].uid: duplicate uid 'ABC' (ids are case-insensitive)"]


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("max_voltage", -1, "max_voltage: Ensure this value is greater than or equal to 0."),
        ("max_amperage", "lots", "max_amperage: A valid integer is required."),
        ("tariff_ids", "11", 'tariff_ids: Expected a list of items but got type "str".'),
        (
            "last_updated",
            "yesterday",
            "last_updated: 'yesterday' is not an RFC 3339 DateTime such as 2024-01-31T12:00:00Z",
        ),
    ],
)
def test_invalid_connector_members(connector, member, value, message):
    connector[member] = value

    assert errors(ConnectorSerializer, connector) == [message]


def test_datetimes_are_parsed_leniently(evse):
    evse["last_updated"] = "2015-06-28T10:12:01+02:00"
    evse["status_schedule"] = [
        {"period_begin": "2024-02-01T00:00:00.123", "period_end": "2024-03-01T00:00:00+00:00", "status": "planned"}
    ]

    data = valid(EvseSerializer, evse)

    assert data["last_updated"] == datetime(2015, 6, 28, 8, 12, 1, tzinfo=UTC)
    # classes stored as JSON carry the strict form already
    assert data["status_schedule"] == [
        {"period_begin": "2024-02-01T00:00:00Z", "period_end": "2024-03-01T00:00:00Z", "status": "PLANNED"}
    ]


# --- Hours --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "location_hours_247_open_exception_closing.json",
        "location_hours_opening_hours_with_exceptional_closing.json",
        "location_hours_opening_hours_with_exceptional_opening.json",
    ],
)
def test_spec_hours_examples_are_kept_as_sent(name):
    assert valid(HoursSerializer, example(name)) == example(name)


def test_regular_hours_are_required_unless_24_7():
    assert errors(HoursSerializer, {"twentyfourseven": False}) == [
        "regular_hours: at least one RegularHours is required when twentyfourseven is false"
    ]


def test_regular_hours_are_dropped_when_24_7():
    hours = {"twentyfourseven": True, "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "18:00"}]}

    assert valid(HoursSerializer, hours) == {"twentyfourseven": True}


@pytest.mark.parametrize(
    ("period", "result"),
    [
        ({"weekday": 1, "period_begin": "22:00", "period_end": "06:00"}, "ok"),  # through midnight: accepted
        ({"weekday": 1, "period_begin": "18:00", "period_end": "24:00"}, "ok"),
        ({"weekday": 8, "period_begin": "08:00", "period_end": "18:00"}, "regular_hours[0].weekday:"),
        ({"weekday": 1, "period_begin": "8:00", "period_end": "18:00"}, "regular_hours[0].period_begin: '8:00'"),
        ({"weekday": 1, "period_begin": "24:00", "period_end": "18:00"}, "regular_hours[0].period_begin: '24:00'"),
    ],
)
def test_regular_hours_format(period, result):
    serializer = HoursSerializer(data={"twentyfourseven": False, "regular_hours": [period]})
    if result == "ok":
        assert serializer.is_valid(), serializer.errors
        stored = serializer.validated_data["regular_hours"][0]
        assert stored["period_end"] in ("06:00", "00:00")  # 24:00 is stored as the strict 00:00
    else:
        assert not serializer.is_valid()
        assert flatten_errors(serializer.errors)[0].startswith(result)


def test_exceptional_period_must_end_after_it_begins():
    hours = {
        "twentyfourseven": True,
        "exceptional_closings": [{"period_begin": "2018-12-25T05:00:00Z", "period_end": "2018-12-25T03:00:00Z"}],
    }

    assert errors(HoursSerializer, hours) == ["exceptional_closings[0].period_end: must be later than period_begin"]


# --- EnergyMix ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "location_energymix_example_simple.json",
        "location_energymix_example_energy_provider.json",
        "location_energymix_example_complete.json",
    ],
)
def test_spec_energy_mix_examples_are_kept_as_sent(name):
    mix = example(name)["energy_mix"]

    assert valid(EnergyMixSerializer, mix) == mix


def test_energy_mix_numbers_become_json_numbers():
    mix = {
        "is_green_energy": False,
        "energy_sources": [{"source": "solar", "percentage": Decimal("35.90")}, {"source": "GAS", "percentage": "64"}],
        "environ_impact": [{"source": "CARBON_DIOXIDE", "amount": Decimal("0.0006")}],  # 2.1.1 member name
    }

    data = valid(EnergyMixSerializer, mix)

    assert data["energy_sources"] == [{"source": "SOLAR", "percentage": 35.9}, {"source": "GAS", "percentage": 64}]
    assert data["environ_impact"] == [{"category": "CARBON_DIOXIDE", "amount": 0.0006}]


def test_energy_percentage_above_100_is_refused():
    mix = {"is_green_energy": True, "energy_sources": [{"source": "WIND", "percentage": 101}]}

    assert errors(EnergyMixSerializer, mix) == ["energy_sources[0].percentage: must not exceed 100"]


# --- PublishTokenType, Image, BusinessDetails ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ({"type": "RFID"}, "publish_allowed_to[0]: at least one of uid, visual_number or group_id is required"),
        ({"uid": "0123"}, "publish_allowed_to[0].type: required when uid is set"),
        ({"visual_number": "123-4"}, "publish_allowed_to[0].issuer: required when visual_number is set"),
        ({"group_id": "G1", "type": "NFC"}, "publish_allowed_to[0].type: 'NFC' is not a valid TokenType"),
    ],
)
def test_publish_token_rules(location, token, message):
    location.update(publish=False, publish_allowed_to=[token])

    assert errors(LocationSerializer, location) == [message]


def test_publish_allowed_to_is_dropped_for_a_published_location(location):
    location.update(publish=True, publish_allowed_to=[{"group_id": "G1"}])

    assert "publish_allowed_to" not in valid(LocationSerializer, location)


def test_images_and_business_details(location):
    logo = {"url": "https://x.example/l.png", "thumbnail": "", "category": "operator", "type": "png", "width": 512}
    location["operator"] = {"name": "BeCharged", "website": "https://becharged.example", "logo": logo}
    location["images"] = [{"url": "https://x.example/p.jpg", "type": "jpeg"}]

    assert errors(LocationSerializer, location) == ["images[0].category: This field is required."]
    location["images"] = []
    data = valid(LocationSerializer, location)
    assert data["operator"]["logo"] == {
        "url": "https://x.example/l.png",
        "category": "OPERATOR",
        "type": "png",
        "width": 512,
    }


# --- PATCH --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("serializer_class", [LocationPatchSerializer, EvsePatchSerializer, ConnectorPatchSerializer])
def test_patch_requires_last_updated_only(serializer_class):
    assert errors(serializer_class, {}) == ["last_updated: This field is required."]
    assert valid(serializer_class, {"last_updated": "2019-06-24T12:39:09Z"}) == {
        "last_updated": datetime(2019, 6, 24, 12, 39, 9, tzinfo=UTC)
    }


def test_patch_null_and_empty_list_mean_unchanged():
    data = valid(
        ConnectorPatchSerializer, {"tariff_ids": [], "max_electric_power": None, "last_updated": "2019-06-24T12:39:09Z"}
    )

    assert set(data) == {"last_updated"}


def test_patch_values_are_validated_and_normalised():
    data = valid(EvsePatchSerializer, {"status": "charging", "last_updated": "2019-06-24T12:39:09Z"})
    assert data["status"] == "CHARGING"

    assert errors(EvsePatchSerializer, {"status": "ASLEEP", "last_updated": "2019-06-24T12:39:09Z"}) == [
        "status: 'ASLEEP' is not a valid Status"
    ]


def test_objects_nested_in_a_patch_must_be_complete(evse):
    body = {"evses": [{"uid": "3258", "status": "AVAILABLE"}], "last_updated": "2019-06-24T12:39:09Z"}

    assert sorted(errors(LocationPatchSerializer, body)) == [
        "evses[0].connectors: This field is required.",
        "evses[0].last_updated: This field is required.",
    ]
    body = {"evses": [evse], "coordinates": {"latitude": "51.0"}, "last_updated": "2019-06-24T12:39:09Z"}
    assert errors(LocationPatchSerializer, body) == ["coordinates.longitude: This field is required."]
