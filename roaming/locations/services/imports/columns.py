"""The CSV columns of the charger import and the model field each fills, derived from the one charger field table
(``roaming.locations.chargers``; reference: the package docstring)."""

import csv
import io

from roaming.locations.chargers import charger_column_map, charger_columns

REQUIRED_COLUMNS = charger_columns(required=True)
OPTIONAL_COLUMNS = charger_columns(required=False)
# Columns that describe the location (must agree on all its rows), the EVSE, and the model field each fills.
LOCATION_COLUMNS = charger_column_map("location")
EVSE_COLUMNS = charger_column_map("evse")

#: the template's example row (a valid charger: importing the template as is creates it)
TEMPLATE_EXAMPLE = {
    "internal_id": "CP-0001",
    "evse_id": "NL*EXA*E0001*1",
    "location_id": "LOC-0001",
    "location_name": "Main street car park",
    "address": "Main street 1",
    "city": "Amsterdam",
    "postal_code": "1012AB",
    "country": "NL",
    "latitude": "52.37893",
    "longitude": "4.90041",
    "connector_id": "1",
    "standard": "IEC_62196_T2",
    "format": "SOCKET",
    "power_type": "AC_3_PHASE",
    "max_voltage": "230",
    "max_amperage": "32",
    "max_electric_power": "22000",
    "time_zone": "Europe/Amsterdam",
    "parking_type": "PARKING_LOT",
    "capabilities": "RFID_READER;REMOTE_START_STOP_CAPABLE",
    "status": "AVAILABLE",
}


def template_csv() -> str:
    """The downloadable template: every column (required first) and one example row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue()
