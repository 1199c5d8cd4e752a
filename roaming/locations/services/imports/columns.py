"""The CSV columns of the charger import and the model field each fills, derived from the one charger field table
(``roaming.locations.chargers``; reference: the package docstring)."""

from roaming.locations.chargers import charger_column_map, charger_columns

REQUIRED_COLUMNS = charger_columns(required=True)
OPTIONAL_COLUMNS = charger_columns(required=False)
# Columns that describe the location (must agree on all its rows), the EVSE, and the model field each fills.
LOCATION_COLUMNS = charger_column_map("location")
EVSE_COLUMNS = charger_column_map("evse")
