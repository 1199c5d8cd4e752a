"""The fields of our chargers (Location -> EVSE -> Connector, mod_locations.asciidoc) that our own systems write:
the one list that the CSV import's columns, the CSMS API's service, its serializers and the admin forms derive from.

A field added here becomes a CSV column (when it has one), a field the CSMS service writes, and a field of the admin
form; the CSMS serializers must declare it (a test holds them to this table).
"""

from dataclasses import dataclass
from typing import Literal

Level = Literal["location", "evse", "connector"]


@dataclass(frozen=True)
class ChargerField:
    """One field of a charger. ``column``: its CSV column (``None``: not in the CSV); ``required``: the column must be
    present and non-empty; ``key``: it identifies the object (set on create, never changed by an update);
    ``immutable``: set once, never changed afterwards (OCPI EVSE.uid)."""

    level: Level
    name: str
    column: str | None = None
    required: bool = False
    key: bool = False
    immutable: bool = False


# In CSV column order: the required columns first, then the optional ones.
CHARGER_FIELDS: tuple[ChargerField, ...] = (
    ChargerField("evse", "internal_id", "internal_id", required=True, key=True),
    ChargerField("evse", "evse_id", "evse_id", required=True),
    ChargerField("location", "location_id", "location_id", required=True, key=True),
    ChargerField("location", "name", "location_name", required=True),
    ChargerField("location", "address", "address", required=True),
    ChargerField("location", "city", "city", required=True),
    ChargerField("location", "postal_code", "postal_code", required=True),
    ChargerField("location", "country", "country", required=True),
    ChargerField("location", "latitude", "latitude", required=True),
    ChargerField("location", "longitude", "longitude", required=True),
    ChargerField("connector", "connector_id", "connector_id", required=True, key=True),
    ChargerField("connector", "standard", "standard", required=True),
    ChargerField("connector", "format", "format", required=True),
    ChargerField("connector", "power_type", "power_type", required=True),
    ChargerField("connector", "max_voltage", "max_voltage", required=True),
    ChargerField("connector", "max_amperage", "max_amperage", required=True),
    ChargerField("evse", "uid", "evse_uid", immutable=True),
    ChargerField("connector", "max_electric_power", "max_electric_power"),
    ChargerField("connector", "tariff_ids", "tariff_ids"),
    ChargerField("connector", "terms_and_conditions", "terms_and_conditions"),
    ChargerField("location", "time_zone", "time_zone"),
    ChargerField("location", "parking_type", "parking_type"),
    ChargerField("location", "facilities", "facilities"),
    ChargerField("location", "state", "state"),
    ChargerField("location", "publish", "publish"),
    ChargerField("evse", "capabilities", "capabilities"),
    ChargerField("evse", "physical_reference", "physical_reference"),
    ChargerField("evse", "floor_level", "floor_level"),
    ChargerField("evse", "status", "status"),
    ChargerField("location", "charging_when_closed"),
)


def charger_fields(level: Level, *, keys: bool = False, immutable: bool = False) -> tuple[str, ...]:
    """Model field names of ``level``, in table order: the fields an update writes, plus the key and immutable
    fields when asked."""
    return tuple(
        f.name for f in CHARGER_FIELDS if f.level == level and (keys or not f.key) and (immutable or not f.immutable)
    )


def charger_columns(*, required: bool) -> tuple[str, ...]:
    """The CSV columns that are (or are not) required, in table order."""
    return tuple(f.column for f in CHARGER_FIELDS if f.column and f.required == required)


def charger_column_map(level: Level) -> dict[str, str]:
    """CSV column -> model field for the non-key fields of ``level`` (the values its rows must agree on)."""
    return {f.column: f.name for f in CHARGER_FIELDS if f.level == level and f.column and not f.key}
