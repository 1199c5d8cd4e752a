"""The charger field list lives in one place (roaming.locations.chargers): the CSV columns, the CSMS service, its
serializers and the admin forms all follow it."""

from roaming.locations import admin
from roaming.locations.api.serializers import ChargerWriteSerializer, ConnectorWriteSerializer, LocationWriteSerializer
from roaming.locations.chargers import CHARGER_FIELDS, charger_fields
from roaming.locations.services import csms
from roaming.locations.services.imports import EVSE_COLUMNS, LOCATION_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS


def _sources(serializer) -> set[str]:
    return {field.source for field in serializer.fields.values()}


def test_csv_columns_come_from_the_table():
    columns = [f.column for f in CHARGER_FIELDS if f.column]
    assert [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS] == columns
    assert set(LOCATION_COLUMNS.values()) == set(charger_fields("location")) - {"charging_when_closed"}
    assert set(EVSE_COLUMNS.values()) == set(charger_fields("evse", immutable=True))


def test_the_csms_service_writes_the_tables_fields():
    assert charger_fields("location") == csms.LOCATION_FIELDS
    assert charger_fields("evse") == csms.EVSE_FIELDS
    assert charger_fields("connector") == csms.CONNECTOR_FIELDS


def test_the_csms_serializers_declare_every_field_of_the_table():
    location = _sources(LocationWriteSerializer()) - {"coordinates"} | {"latitude", "longitude"}
    assert location == set(charger_fields("location"))
    assert _sources(ConnectorWriteSerializer()) == set(charger_fields("connector", keys=True))
    charger = _sources(ChargerWriteSerializer()) - {"location", "connectors", "location_id"}
    assert charger == set(charger_fields("evse", immutable=True))


def test_the_admin_forms_show_every_field_of_the_table():
    assert set(charger_fields("location", keys=True)) <= set(admin.LocationAdminForm.Meta.fields)
    assert set(charger_fields("evse", keys=True, immutable=True)) <= set(admin.EVSEAdminForm.Meta.fields)
    assert admin.ConnectorAdminForm.Meta.fields == ["evse", *charger_fields("connector", keys=True)]


def test_enum_values_parse_the_same_in_the_api_and_the_csv():
    from roaming.locations.choices import ConnectorType
    from roaming.locations.services.imports import enum_value

    field = ConnectorWriteSerializer().fields["standard"]
    assert field.to_internal_value(" iec_62196_t2 ") == enum_value(" iec_62196_t2 ", ConnectorType) == "IEC_62196_T2"
