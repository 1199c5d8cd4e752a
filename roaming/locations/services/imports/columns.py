"""The CSV columns of the charger import and the model field each fills (reference: the package docstring)."""

REQUIRED_COLUMNS = (
    "internal_id",
    "evse_id",
    "location_id",
    "location_name",
    "address",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "connector_id",
    "standard",
    "format",
    "power_type",
    "max_voltage",
    "max_amperage",
)
OPTIONAL_COLUMNS = (
    "evse_uid",
    "max_electric_power",
    "tariff_ids",
    "terms_and_conditions",
    "time_zone",
    "parking_type",
    "facilities",
    "state",
    "publish",
    "capabilities",
    "physical_reference",
    "floor_level",
    "status",
)
# Columns that describe the location (must agree on all its rows), the EVSE, and the model field each fills.
LOCATION_COLUMNS = {
    "location_name": "name",
    "address": "address",
    "city": "city",
    "postal_code": "postal_code",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
    "state": "state",
    "time_zone": "time_zone",
    "parking_type": "parking_type",
    "facilities": "facilities",
    "publish": "publish",
}
EVSE_COLUMNS = {
    "evse_id": "evse_id",
    "evse_uid": "uid",
    "capabilities": "capabilities",
    "physical_reference": "physical_reference",
    "floor_level": "floor_level",
    "status": "status",
}
