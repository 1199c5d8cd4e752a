"""The charger CSV import service (roaming.locations.services.imports)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from roaming.core.exceptions import StateConflict
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services.imports import (
    RowError,
    chargers_import_csv,
    default_time_zone,
    evse_uid_derive,
    geo_coordinate,
)
from roaming.ocpi.models import OutboxMessage
from tests.locations import factories_import
from tests.locations.factories_import import (
    DATA,
    ConnectorFactory,
    OwnEVSEFactory,
    OwnLocationFactory,
    PartnerLocationFactory,
    as_file,
    charger_row,
    make_csv,
)

pytestmark = pytest.mark.django_db

# Fixtures shared by the import/API/admin tests (they live next to the factories, not in conftest.py).
push_spy = factories_import.push_spy
receiving_partner = factories_import.receiving_partner

OLD = timezone.now().replace(microsecond=0) - timedelta(days=3)


def run(rows, **kwargs):
    return chargers_import_csv(file=as_file(make_csv(rows)), **kwargs)


def errors_of(report) -> list[str]:
    return [str(e) for e in report.errors]


def age_everything():
    """Move every timestamp into the past, so a bump is visible."""
    Location.objects.update(last_updated=OLD)
    EVSE.objects.update(last_updated=OLD)
    Connector.objects.update(last_updated=OLD)


# --- a valid file ------------------------------------------------------------------------------------------------


def test_valid_file_creates_the_location_evse_connector_tree(push_spy):
    report = chargers_import_csv(file=DATA / "chargers_valid.csv")

    assert report.errors == []
    assert report.imported is True
    assert (report.locations_created, report.evses_created, report.connectors_created) == (2, 3, 4)
    ams = Location.objects.get(location_id="LOC-AMS-1")
    assert (ams.country_code, ams.party_id, ams.source_partner) == ("NL", "EXA", None)
    assert (ams.name, ams.address, ams.city, ams.postal_code, ams.country) == (
        "Amsterdam Centraal P1",
        "Stationsplein 1",
        "Amsterdam",
        "1012 AB",
        "NLD",
    )
    assert (ams.latitude, ams.longitude, ams.time_zone) == ("52.37903", "4.90039", "Europe/Amsterdam")
    assert ams.parking_type == "PARKING_GARAGE"
    assert ams.facilities == ["TRAIN_STATION", "CAFE"]
    assert sorted(ams.evses.values_list("internal_id", flat=True)) == ["CP-0001", "CP-0002"]

    dc = EVSE.objects.get(internal_id="CP-0002")
    assert (dc.uid, dc.evse_id, dc.status) == ("NL*EXA*E0002", "NL*EXA*E0002", "UNKNOWN")
    assert (dc.capabilities, dc.physical_reference, dc.floor_level) == (["RFID_READER"], "B1", "-1")
    ccs, chademo = dc.connectors.order_by("connector_id")
    assert (ccs.standard, ccs.format, ccs.power_type, ccs.max_voltage, ccs.max_amperage) == (
        "IEC_62196_T2_COMBO",
        "CABLE",
        "DC",
        920,
        200,
    )
    assert (ccs.max_electric_power, ccs.tariff_ids) == (150000, ["DC-FAST", "DC-FAST-FLEX"])
    assert chademo.standard == "CHADEMO"
    assert EVSE.objects.get(internal_id="CP-0001").status == "AVAILABLE"
    assert push_spy == ["LOC-AMS-1", "LOC-UTR-1"]


def test_lenient_values_are_normalised():
    chargers_import_csv(file=DATA / "chargers_valid.csv")

    utrecht = Location.objects.get(location_id="LOC-UTR-1")
    assert utrecht.country == "NLD"  # given as alpha-3
    assert (utrecht.latitude, utrecht.longitude) == ("52.08870", "5.10000")  # padded to 5 decimals
    assert utrecht.time_zone == "Europe/Amsterdam"  # empty cell: the country's zone
    assert utrecht.parking_type == "PARKING_LOT"  # any case accepted
    evse = EVSE.objects.get(internal_id="CP-0003")
    assert evse.evse_id == "NL*EXA*E0003"  # stored upper-case
    connector = evse.connectors.get()
    assert (connector.standard, connector.format, connector.power_type) == ("IEC_62196_T2", "SOCKET", "AC_3_PHASE")
    assert connector.max_electric_power is None


def test_timestamps_are_set_at_second_precision():
    chargers_import_csv(file=DATA / "chargers_valid.csv")

    stamps = [
        *Location.objects.values_list("last_updated", flat=True),
        *EVSE.objects.values_list("last_updated", flat=True),
        *Connector.objects.values_list("last_updated", flat=True),
    ]
    assert all(s.microsecond == 0 for s in stamps)
    assert all(timezone.now() - s < timedelta(minutes=1) for s in stamps)


def test_import_writes_one_put_per_changed_location_to_the_outbox(receiving_partner):
    chargers_import_csv(file=DATA / "chargers_valid.csv")

    messages = OutboxMessage.objects.filter(partner=receiving_partner, module="locations").order_by("id")
    assert [(m.method, m.path) for m in messages] == [("PUT", "NL/EXA/LOC-AMS-1"), ("PUT", "NL/EXA/LOC-UTR-1")]
    body = messages[0].body
    assert body["id"] == "LOC-AMS-1"
    assert sorted(e["evse_id"] for e in body["evses"]) == ["NL*EXA*E0001", "NL*EXA*E0002"]
    assert all("internal_id" not in e for e in body["evses"])  # our CSMS mapping never leaves the house


def test_reimporting_the_same_file_changes_and_pushes_nothing(receiving_partner, push_spy):
    chargers_import_csv(file=DATA / "chargers_valid.csv")
    age_everything()
    outbox_before = OutboxMessage.objects.count()
    push_spy.clear()

    report = chargers_import_csv(file=DATA / "chargers_valid.csv")

    assert report.errors == []
    assert report.changed is False
    assert report.connectors_unchanged == 4
    assert push_spy == []
    assert OutboxMessage.objects.count() == outbox_before
    assert set(Location.objects.values_list("last_updated", flat=True)) == {OLD}
    assert set(EVSE.objects.values_list("last_updated", flat=True)) == {OLD}
    assert set(Connector.objects.values_list("last_updated", flat=True)) == {OLD}
    assert "nothing to change" in report.summary()


def test_an_update_changes_only_what_differs_and_bumps_the_parents(push_spy):
    rows = [charger_row(1), charger_row(2), charger_row(3, location_id="LOC-2")]
    run(rows)
    age_everything()
    push_spy.clear()

    rows[1]["max_amperage"] = "16"
    report = run(rows)

    assert (report.connectors_updated, report.evses_updated, report.locations_updated) == (1, 1, 1)
    assert (report.connectors_created, report.evses_created, report.locations_created) == (0, 0, 0)
    changed = Connector.objects.get(evse__internal_id="CP-0002")
    assert changed.max_amperage == 16
    assert changed.last_updated > OLD
    assert EVSE.objects.get(internal_id="CP-0002").last_updated == changed.last_updated
    assert Location.objects.get(location_id="LOC-1").last_updated == changed.last_updated
    assert Connector.objects.get(evse__internal_id="CP-0001").last_updated == OLD
    assert EVSE.objects.get(internal_id="CP-0001").last_updated == OLD
    assert Location.objects.get(location_id="LOC-2").last_updated == OLD
    assert push_spy == ["LOC-1"]


def test_a_location_field_change_bumps_only_the_location():
    run([charger_row(1)])
    age_everything()

    report = run([charger_row(1, location_name="Renamed")])

    assert (report.locations_updated, report.evses_updated, report.connectors_updated) == (1, 0, 0)
    assert Location.objects.get().name == "Renamed"
    assert Location.objects.get().last_updated > OLD
    assert EVSE.objects.get().last_updated == OLD


def test_a_new_connector_on_an_existing_evse_is_added_and_others_kept():
    run([charger_row(1, connector=1)])

    report = run([charger_row(1, connector=2, standard="CHADEMO", power_type="DC", format="CABLE")])

    assert report.connectors_created == 1
    assert sorted(Connector.objects.values_list("connector_id", flat=True)) == ["1", "2"]  # the import never deletes


def test_optional_column_absent_leaves_the_field_untouched_and_empty_cell_clears_it():
    run([charger_row(1, tariff_ids="AC-1;AC-2", physical_reference="P7")])

    run([charger_row(1)])  # no tariff_ids/physical_reference columns
    connector = Connector.objects.get()
    assert connector.tariff_ids == ["AC-1", "AC-2"]
    assert EVSE.objects.get().physical_reference == "P7"

    run([charger_row(1, tariff_ids="", physical_reference="")])
    assert Connector.objects.get().tariff_ids == []
    assert EVSE.objects.get().physical_reference == ""


def test_explicit_evse_uid_status_and_publish_columns():
    run([charger_row(1, evse_uid="EVSE-UID-1", status="charging", publish="no")])

    evse = EVSE.objects.get()
    assert (evse.uid, evse.status) == ("EVSE-UID-1", "CHARGING")
    assert evse.location.publish is False


def test_the_status_column_seeds_new_evses_but_never_overrides_the_live_status():
    run([charger_row(1, status="AVAILABLE")])
    EVSE.objects.update(status="CHARGING")  # what the CSMS reported since
    age_everything()

    report = run([charger_row(1, status="AVAILABLE")])

    assert report.changed is False
    assert EVSE.objects.get().status == "CHARGING"


def test_the_demo_data_file_imports_cleanly():
    import roaming.locations

    report = chargers_import_csv(
        file=Path(roaming.locations.__file__).parent / "demo" / "demo_chargers.csv", dry_run=True
    )

    assert report.errors == []
    assert report.evses_created > 0


def test_uid_is_derived_stably_from_the_evse_id():
    assert evse_uid_derive("NL*EXA*E0001") == "NL*EXA*E0001"
    long_id = "NL*EXA*E" + "1" * 31
    assert len(long_id) == 39
    assert evse_uid_derive(long_id) == ("NLEXAE" + "1" * 31)[-36:]
    assert evse_uid_derive(long_id) == evse_uid_derive(long_id.lower().upper())


def test_an_evse_created_by_hand_without_internal_id_gets_mapped_not_duplicated():
    location = OwnLocationFactory(location_id="LOC-1")
    hand_made = OwnEVSEFactory(location=location, evse_id="NL*EXA*E0001", internal_id=None, uid="HAND-1")

    report = run([charger_row(1)])

    assert report.errors == []
    assert (report.evses_created, report.evses_updated) == (0, 1)
    hand_made.refresh_from_db()
    assert (hand_made.internal_id, hand_made.uid) == ("CP-0001", "HAND-1")
    assert EVSE.objects.count() == 1


def test_header_names_are_case_insensitive_and_a_bom_semicolons_and_blank_lines_are_fine():
    data = make_csv([charger_row(1), charger_row(2)], delimiter=";")
    header, rest = data.split(b"\n", 1)
    data = b"\xef\xbb\xbf" + header.upper().replace(b"EVSE_ID", b"EVSE ID") + b"\n" + rest + b"\n\n"

    report = chargers_import_csv(file=as_file(data))

    assert report.errors == []
    assert EVSE.objects.count() == 2


def test_unknown_columns_are_ignored_and_listed():
    report = run([charger_row(1, colour="red")])

    assert report.errors == []
    assert report.ignored_columns == ["colour"]


def test_a_decimal_comma_and_many_decimals_are_accepted():
    run([charger_row(1, latitude="52,3740312345", longitude="4.9")])

    location = Location.objects.get()
    assert (location.latitude, location.longitude) == ("52.3740312", "4.90000")


@pytest.mark.parametrize(
    ("value", "axis", "expected"),
    [
        ("52.1", "latitude", "52.10000"),
        ("52", "latitude", "52.00000"),
        ("-0.5", "latitude", "-0.50000"),
        ("052.12345", "latitude", "52.12345"),
        ("4.123456789", "longitude", "4.1234568"),
        ("-179.999999", "longitude", "-179.999999"),
        ("90", "latitude", "90.00000"),
    ],
)
def test_geo_coordinate_matches_the_ocpi_regex(value, axis, expected):
    assert geo_coordinate(value, axis=axis) == expected


@pytest.mark.parametrize(
    ("value", "axis", "reason"),
    [("91", "latitude", "out of range"), ("-180.5", "longitude", "out of range"), ("north", "latitude", "not a")],
)
def test_geo_coordinate_refuses_out_of_range_and_non_numbers(value, axis, reason):
    with pytest.raises(ValueError, match=reason):
        geo_coordinate(value, axis=axis)


def test_time_zone_defaults():
    assert default_time_zone("NL") == "Europe/Amsterdam"
    assert default_time_zone("DEU") == "Europe/Berlin"  # several zones, one main
    assert default_time_zone("US") is None


def test_a_country_with_several_zones_falls_back_to_utc_with_a_warning():
    report = run([charger_row(1, country="US", evse_id="US*EXA*E1")])

    assert report.errors == []
    assert Location.objects.get().time_zone == "UTC"
    assert [(w.line, w.column) for w in report.warnings] == [(2, "time_zone")]
    assert "several time zones" in report.warnings[0].message


def test_dry_run_counts_but_writes_nothing(push_spy):
    report = chargers_import_csv(file=DATA / "chargers_valid.csv", dry_run=True)

    assert report.imported is False
    assert (report.locations_created, report.evses_created, report.connectors_created) == (2, 3, 4)
    assert report.pushed_locations == ["LOC-AMS-1", "LOC-UTR-1"]
    assert report.summary().startswith("Dry run, nothing written")
    assert Location.objects.count() == 0
    assert push_spy == []


# --- bad rows ------------------------------------------------------------------------------------------------------


def test_bad_file_reports_each_row_with_its_line_and_imports_nothing(push_spy):
    report = chargers_import_csv(file=DATA / "chargers_bad.csv")

    assert errors_of(report) == [
        "line 2: not imported: line 9 of the same EVSE is invalid",
        "line 3: evse_id: country code 'XX' is not ISO 3166-1 alpha-2",
        "line 4: evse_id: 'NL*EXA*P0011' is a pool id (type letter 'P'): 'P'/'S' ids are pools/stations, not EVSEs; "
        "an EVSE ID has 'E' after the operator id",
        "line 5: standard: 'TYPE2' is not an OCPI ConnectorType (CHADEMO, CHAOJI, DOMESTIC_A, DOMESTIC_B, ...)",
        "line 6: max_voltage: '230V' is not a whole number",
        "line 7: max_amperage: is required",
        "line 8: latitude: '95.00000' is out of range: latitude must be between -90 and 90",
        "line 9: connector_id: evse_id 'NL*EXA*E0001' connector_id '1' is already on line 2",
    ]
    assert report.refused is True
    assert report.imported is False
    assert report.summary() == "Nothing imported: 8 of 8 rows are invalid. Fix them, or import the good rows only."
    assert Location.objects.count() == EVSE.objects.count() == Connector.objects.count() == 0
    assert push_spy == []


def test_one_bad_row_stops_the_whole_file():
    report = run([charger_row(1), charger_row(2), charger_row(3, max_voltage="-5")])

    assert errors_of(report) == ["line 4: max_voltage: '-5' must be greater than 0"]
    assert report.rows_imported == 0
    assert EVSE.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"evse_id": ""}, "evse_id: is required"),
        ({"internal_id": "  "}, "internal_id: is required"),
        ({"evse_id": "NL*EX*E1"}, "evse_id: operator id must be 3 letters or digits"),
        ({"evse_id": "NL*EXA*1"}, "evse_id: missing the 'E' type letter after the operator id"),
        ({"evse_id": "NL*EXA*S1"}, "evse_id: 'NL*EXA*S1' is a station id"),
        ({"evse_id": "NL EXA E1"}, "evse_id: 'NL EXA E1' contains invalid characters ' '"),
        ({"country": "XY"}, "country: country code 'XY' is not ISO 3166-1 alpha-2"),
        ({"format": "PLUG"}, "format: 'PLUG' is not an OCPI ConnectorFormat (SOCKET, CABLE)"),
        ({"power_type": "AC3"}, "power_type: 'AC3' is not an OCPI PowerType"),
        ({"standard": "IEC_62196_T2_COMB"}, "did you mean IEC_62196_T2_COMBO?"),
        ({"max_amperage": "31.5"}, "max_amperage: '31.5' is not a whole number"),
        ({"max_electric_power": "lots"}, "max_electric_power: 'lots' is not a whole number"),
        ({"longitude": "east"}, "longitude: 'east' is not a decimal number of degrees"),
        ({"latitude": "-90.1"}, "latitude: '-90.1' is out of range"),
        ({"city": "A" * 46}, "city: '" + "A" * 46 + "': at most 45 characters allowed, got 46"),
        ({"postal_code": "12345678901"}, "postal_code: '12345678901': at most 10 characters allowed, got 11"),
        ({"location_id": "L" * 37}, "location_id: '" + "L" * 37 + "': at most 36 characters allowed, got 37"),
        ({"connector_id": "é"}, "connector_id: 'é': only printable ASCII characters are allowed"),
        ({"physical_reference": "X" * 17}, "physical_reference: '" + "X" * 17 + "': at most 16 characters"),
        ({"time_zone": "Mars/Olympus"}, "time_zone: 'Mars/Olympus' is not an IANA time zone"),
        ({"capabilities": "RFID_READER;TELEPATHY"}, "capabilities: 'TELEPATHY' is not an OCPI Capability"),
        ({"status": "BROKEN"}, "status: 'BROKEN' is not an OCPI Status"),
        ({"publish": "maybe"}, "publish: 'maybe' is not true or false"),
        ({"tariff_ids": "A;" + "T" * 37}, "tariff_ids: '" + "T" * 37 + "': at most 36 characters"),
        ({"terms_and_conditions": "not a url"}, "terms_and_conditions: 'not a url' is not a URL"),
    ],
)
def test_each_kind_of_bad_value_is_reported_with_the_column(overrides, expected):
    report = run([charger_row(1, **overrides)])

    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("line 2: ")
    assert expected in str(report.errors[0])
    assert Location.objects.count() == 0


def test_a_row_with_more_cells_than_the_header_is_refused():
    data = make_csv([charger_row(1)]).rstrip(b"\n") + b",surplus\n"

    report = chargers_import_csv(file=as_file(data))

    assert errors_of(report) == ["line 2: 17 cells but the header has 16 columns"]


def test_missing_required_columns_refuse_the_file_on_line_1():
    data = make_csv([charger_row(1)]).replace(b",max_amperage", b"").replace(b",32\n", b"\n")

    report = chargers_import_csv(file=as_file(data), good_rows_only=True)

    assert errors_of(report) == ["line 1: missing required columns: max_amperage"]
    assert report.refused is True
    assert report.summary() == "Nothing imported: the file was refused."


def test_a_file_that_is_not_utf8_is_refused_with_the_line():
    data = make_csv([charger_row(1), charger_row(2, location_name="Café")]).decode().encode("latin-1")

    report = chargers_import_csv(file=as_file(data))

    assert errors_of(report) == ["line 3: the file is not UTF-8 text: save it as 'CSV UTF-8'"]


def test_an_empty_file_is_refused():
    report = chargers_import_csv(file=as_file(b""))

    assert errors_of(report) == ["line 1: the file is empty: expected a header row"]


# --- duplicates and consistency --------------------------------------------------------------------------------


def test_same_evse_id_used_by_two_internal_ids_is_refused_for_both_chargers():
    report = run([charger_row(1), charger_row(2, connector=2, evse_id="NL*EXA*E0001")], good_rows_only=True)

    assert errors_of(report) == [
        "line 2: not imported: line 3 of the same EVSE is invalid",
        "line 3: evse_id: 'NL*EXA*E0001' is also used by internal_id 'CP-0001' on line 2; an EVSE ID belongs to "
        "one charger",
    ]
    assert EVSE.objects.count() == 0


def test_evse_ids_are_compared_without_separators_and_case():
    report = run([charger_row(1), charger_row(2, connector=2, evse_id="nlexae0001")])

    assert "is also used by internal_id 'CP-0001'" in errors_of(report)[-1]


def test_same_internal_id_with_two_evse_ids_is_refused():
    report = run([charger_row(1), charger_row(1, connector=2, evse_id="NL*EXA*E0009")])

    assert "line 3: internal_id: 'CP-0001' has another evse_id on line 2; one charger has one EVSE ID" in errors_of(
        report
    )


def test_rows_of_one_location_with_conflicting_address_refuse_the_whole_location():
    rows = [charger_row(1), charger_row(2, address="Other Street 9"), charger_row(3, location_id="LOC-2")]

    report = run(rows, good_rows_only=True)

    assert errors_of(report) == [
        "line 2: not imported: the rows of location_id 'LOC-1' disagree (see line 3)",
        "line 3: address: 'Other Street 9' differs from line 2 ('Main Street 1') for location_id 'LOC-1'",
    ]
    assert list(Location.objects.values_list("location_id", flat=True)) == ["LOC-2"]


def test_rows_of_one_evse_at_two_locations_are_refused():
    report = run([charger_row(1, connector=1), charger_row(1, connector=2, location_id="LOC-2")])

    assert (
        "line 3: location_id: 'LOC-2' differs from line 2: all rows of one EVSE must be at one location"
        in errors_of(report)
    )


def test_rows_of_one_evse_must_agree_on_evse_columns():
    report = run([charger_row(1, connector=1, floor_level="1"), charger_row(1, connector=2, floor_level="2")])

    assert errors_of(report) == [
        "line 2: not imported: line 3 of the same EVSE is invalid",
        "line 3: floor_level: '2' differs from line 2 ('1'): rows of one EVSE must agree",
    ]


def test_two_evses_with_one_uid_at_a_location_are_refused():
    report = run([charger_row(1, evse_uid="U1"), charger_row(2, evse_uid="u1")])

    assert "line 3: evse_uid: 'u1' is already the uid of another EVSE of this location on line 2" in errors_of(report)


def test_evse_id_already_mapped_to_another_charger_in_the_database_is_refused():
    evse = OwnEVSEFactory(evse_id="NL*EXA*E0001", internal_id="CSMS-OLD")

    report = run([charger_row(1)])

    assert errors_of(report) == [
        f"line 2: evse_id: 'NL*EXA*E0001' is already mapped to internal_id 'CSMS-OLD' (EVSE uid '{evse.uid}' at "
        f"location '{evse.location.location_id}')"
    ]


def test_internal_id_already_mapped_to_another_evse_id_in_the_database_is_refused():
    run([charger_row(1)])

    report = run([charger_row(1, evse_id="NL*EXA*E0777")])

    assert errors_of(report) == [
        "line 2: internal_id: 'CP-0001' is already mapped to evse_id 'NL*EXA*E0001'; change the mapping in the "
        "admin first"
    ]


def test_internal_id_of_a_partner_evse_is_refused():
    partner_evse = OwnEVSEFactory(location=PartnerLocationFactory(), internal_id="CP-0001", evse_id="DE*CPO*E1")

    report = run([charger_row(1)])

    assert errors_of(report) == [
        f"line 2: internal_id: 'CP-0001' is mapped to an EVSE of another party ({partner_evse.location})"
    ]


def test_an_import_does_not_move_an_evse_to_another_location():
    run([charger_row(1)])

    report = run([charger_row(1, location_id="LOC-NEW")])

    assert "this EVSE is at location 'LOC-1'; the import does not move EVSEs between locations" in errors_of(report)[0]
    assert not Location.objects.filter(location_id="LOC-NEW").exists()


def test_the_uid_of_an_existing_evse_never_changes():
    run([charger_row(1)])

    report = run([charger_row(1, evse_uid="NEW-UID")])

    assert errors_of(report) == [
        "line 2: evse_uid: 'NEW-UID': this EVSE's uid is 'NL*EXA*E0001' and a uid never changes"
    ]


def test_a_new_evse_cannot_take_a_uid_already_used_at_the_location():
    location = OwnLocationFactory(location_id="LOC-1")
    OwnEVSEFactory(location=location, uid="TAKEN", evse_id="NL*EXA*E0999", internal_id="CP-0999")

    report = run([charger_row(1, evse_uid="taken")])

    assert errors_of(report) == ["line 2: evse_uid: 'taken' is already the uid of another EVSE at location 'LOC-1'"]


# --- good rows only ---------------------------------------------------------------------------------------------


def test_good_rows_only_imports_the_good_rows_and_skips_a_bad_evse_whole(push_spy):
    rows = [
        charger_row(1, connector=1),
        charger_row(1, connector=2, max_voltage="x"),
        charger_row(2),
        charger_row(3, location_id="LOC-2", evse_id="NL*EXA*X3"),
    ]

    report = run(rows, good_rows_only=True)

    assert report.refused is False
    assert report.imported is True
    assert report.bad_lines == [2, 3, 5]
    assert errors_of(report)[0] == "line 2: not imported: line 3 of the same EVSE is invalid"
    assert list(EVSE.objects.values_list("internal_id", flat=True)) == ["CP-0002"]
    assert Connector.objects.count() == 1
    assert push_spy == ["LOC-1"]
    assert "2 bad rows skipped" not in report.summary() and "3 bad rows skipped" in report.summary()


def test_good_rows_only_with_no_good_row_imports_nothing():
    report = run([charger_row(1, max_voltage="x")], good_rows_only=True)

    assert report.refused is True
    assert report.summary() == "Nothing imported: the only row is invalid."


def test_errors_by_line_groups_the_reasons_of_a_row():
    report = run([charger_row(1, max_voltage="x", max_amperage="y")])

    assert report.errors_by_line() == [
        (2, ["max_amperage: 'y' is not a whole number", "max_voltage: 'x' is not a whole number"])
    ]
    assert str(RowError(7, "evse_id", "bad")) == "line 7: evse_id: bad"


# --- robustness -----------------------------------------------------------------------------------------------


def test_a_database_conflict_while_writing_rolls_everything_back(monkeypatch):
    from roaming.locations.services.imports import service as imports

    def fail(plan):
        from django.db import IntegrityError

        Location.objects.create(
            country_code="NL", party_id="EXA", location_id="HALF", address="a", city="b", country="NLD",
            latitude="1.00000", longitude="1.00000", last_updated=timezone.now(),
        )  # fmt: skip
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(imports, "_apply", fail)

    with pytest.raises(StateConflict):
        run([charger_row(1)])
    assert Location.objects.count() == 0


def test_query_count_does_not_grow_with_the_number_of_rows():
    """Bulk reads and writes: 50 or 500 chargers in one location cost the same number of queries."""

    def queries_for(count: int, offset: int) -> int:
        rows = [charger_row(offset + n, location_id=f"LOC-{offset}") for n in range(count)]
        with CaptureQueriesContext(connection) as ctx:
            report = run(rows)
        assert report.evses_created == count
        return len(ctx.captured_queries)

    assert queries_for(50, 1000) == queries_for(500, 2000)


def test_existing_rows_are_prefetched_not_queried_per_row():
    run([charger_row(n) for n in range(1, 201)])
    age_everything()
    rows = [charger_row(n, max_amperage=16) for n in range(1, 201)]

    with CaptureQueriesContext(connection) as ctx:
        report = run(rows)

    assert report.connectors_updated == 200
    assert len(ctx.captured_queries) < 30


def test_factory_connector_is_found_by_the_import():
    """Connectors created elsewhere (the admin, the API) are matched by id, case-insensitively."""
    connector = ConnectorFactory(connector_id="a", evse__internal_id="CP-0001", evse__evse_id="NL*EXA*E0001")
    location = connector.evse.location

    report = run([charger_row(1, connector="A", location_id=location.location_id, location_name=location.name,
                              address=location.address, city=location.city, postal_code=location.postal_code,
                              latitude=location.latitude, longitude=location.longitude)])  # fmt: skip

    assert report.errors == []
    assert report.connectors_created == 0
    assert Connector.objects.count() == 1
