"""Reading the file and checking its rows: CSV decoding and header, one row to Location/EVSE/Connector values,
and the checks across rows (duplicates, one internal_id per EVSE ID, rows of one EVSE or location agreeing)."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from roaming.core.csv_import import RowError, csv_records
from roaming.locations.choices import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    Facility,
    ParkingType,
    PowerType,
    Status,
)
from roaming.locations.evse_id import (
    EvseIdError,
    country_alpha3,
    evse_id_key,
    evse_id_parse,
)
from roaming.locations.services.imports.columns import (
    EVSE_COLUMNS,
    LOCATION_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from roaming.locations.services.imports.report import ImportReport
from roaming.locations.services.imports.values import (
    _short,
    _tariff_ids,
    _url,
    enum_list,
    enum_value,
    geo_coordinate,
    parse_bool,
    positive_int,
    time_zone_name,
)
from roaming.ocpi.fields import validate_cistring, validate_ocpi_string


@dataclass
class _Row:
    line: int
    location: dict = field(default_factory=dict)  # Location field -> value (only the columns given)
    evse: dict = field(default_factory=dict)  # EVSE field -> value
    connector: dict = field(default_factory=dict)  # Connector field -> value
    errors: list[RowError] = field(default_factory=list)
    location_key: str = ""
    evse_key: str = ""
    connector_key: str = ""
    internal_id: str = ""
    cells: dict = field(default_factory=dict)

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))


def _records(text: str, report: ImportReport) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    header, report.ignored_columns, rows = csv_records(text, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    return header, rows


def _parse_row(line: int, cells: dict[str, str], columns: set[str]) -> _Row:
    row = _Row(line=line, cells=cells)
    if "__extra__" in cells:
        row.fail("", cells["__extra__"])

    def cell(column: str) -> str:
        return (cells.get(column) or "").strip()

    def required(column: str) -> str | None:
        value = cell(column)
        if not value:
            row.fail(column, "is required")
            return None
        return value

    def text(column: str, max_length: int, *, ci: bool = False, needed: bool = False) -> str | None:
        value = required(column) if needed else cell(column)
        if value is None:
            return None
        try:
            (validate_cistring if ci else validate_ocpi_string)(value, max_length)
        except ValidationError as exc:
            row.fail(column, f"'{_short(value)}': {exc.messages[0]}")
            return None
        return value

    def convert(column: str, parser, *, needed: bool = False):
        value = required(column) if needed else cell(column)
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as exc:
            row.fail(column, str(exc))
            return None

    def optional(column: str, parser, empty):
        # An empty cell in a present column clears the field.
        return convert(column, parser) if cell(column) else empty

    def put(target: dict, name: str, value) -> None:
        if value is not None:
            target[name] = value

    # Keys first: they group the rows, even when other cells are bad.
    internal_id = text("internal_id", 100, needed=True)
    row.internal_id = internal_id or ""
    raw_evse_id = cell("evse_id")
    row.evse_key = evse_id_key(raw_evse_id)
    if not raw_evse_id:
        row.fail("evse_id", "is required")
    else:
        try:
            put(row.evse, "evse_id", evse_id_parse(raw_evse_id).value)
        except EvseIdError as exc:
            row.fail("evse_id", exc.reason)
    location_id = text("location_id", 36, ci=True, needed=True)
    if location_id:
        row.location_key = location_id.upper()
        row.location["location_id"] = location_id
    connector_id = text("connector_id", 36, ci=True, needed=True)
    if connector_id:
        row.connector_key = connector_id.upper()
        row.connector["connector_id"] = connector_id
    if internal_id:
        row.evse["internal_id"] = internal_id

    # Location.
    put(row.location, "name", text("location_name", 255, needed=True))
    put(row.location, "address", text("address", 255, needed=True))
    put(row.location, "city", text("city", 45, needed=True))
    put(row.location, "postal_code", text("postal_code", 10, needed=True))
    put(row.location, "country", convert("country", country_alpha3, needed=True))
    put(row.location, "latitude", convert("latitude", lambda v: geo_coordinate(v, axis="latitude"), needed=True))
    put(row.location, "longitude", convert("longitude", lambda v: geo_coordinate(v, axis="longitude"), needed=True))
    if "state" in columns:
        put(row.location, "state", text("state", 45))
    if "time_zone" in columns and cell("time_zone"):
        put(row.location, "time_zone", convert("time_zone", time_zone_name))
    if "parking_type" in columns:
        put(row.location, "parking_type", optional("parking_type", lambda v: enum_value(v, ParkingType), ""))
    if "facilities" in columns:
        put(row.location, "facilities", optional("facilities", lambda v: enum_list(v, Facility), []))
    if "publish" in columns and cell("publish"):
        put(row.location, "publish", convert("publish", parse_bool))

    # EVSE.
    if "evse_uid" in columns and cell("evse_uid"):
        put(row.evse, "uid", text("evse_uid", 36, ci=True))
    if "capabilities" in columns:
        put(row.evse, "capabilities", optional("capabilities", lambda v: enum_list(v, Capability), []))
    if "physical_reference" in columns:
        put(row.evse, "physical_reference", text("physical_reference", 16))
    if "floor_level" in columns:
        put(row.evse, "floor_level", text("floor_level", 4))
    if "status" in columns and cell("status"):
        put(row.evse, "status", convert("status", lambda v: enum_value(v, Status)))

    # Connector.
    put(row.connector, "standard", convert("standard", lambda v: enum_value(v, ConnectorType), needed=True))
    put(row.connector, "format", convert("format", lambda v: enum_value(v, ConnectorFormat), needed=True))
    put(row.connector, "power_type", convert("power_type", lambda v: enum_value(v, PowerType), needed=True))
    put(row.connector, "max_voltage", convert("max_voltage", positive_int, needed=True))
    put(row.connector, "max_amperage", convert("max_amperage", positive_int, needed=True))
    if "max_electric_power" in columns and not cell("max_electric_power"):
        row.connector["max_electric_power"] = None
    elif "max_electric_power" in columns:
        put(row.connector, "max_electric_power", convert("max_electric_power", positive_int))
    if "tariff_ids" in columns:
        put(row.connector, "tariff_ids", optional("tariff_ids", _tariff_ids, []))
    if "terms_and_conditions" in columns:
        put(row.connector, "terms_and_conditions", optional("terms_and_conditions", _url, ""))
    return row


def _show(value) -> str:
    return ";".join(value) if isinstance(value, list) else str(value)


def _check_file(rows: list[_Row]) -> None:
    """Checks across rows: duplicates, one internal_id <-> one evse_id, rows of one EVSE / location agreeing."""
    seen_connector: dict[tuple[str, str], int] = {}
    internal_by_key: dict[str, tuple[str, int]] = {}
    key_by_internal: dict[str, tuple[str, int]] = {}
    evse_first: dict[str, dict[str, tuple[object, int]]] = defaultdict(dict)
    location_first: dict[str, dict[str, tuple[object, int]]] = defaultdict(dict)
    uid_owner: dict[tuple[str, str], tuple[str, int]] = {}
    conflicted_locations: dict[str, int] = {}
    evse_column = {v: k for k, v in EVSE_COLUMNS.items()}
    location_column = {v: k for k, v in LOCATION_COLUMNS.items()} | {"location_id": "location_id"}

    for row in rows:
        key, iid = row.evse_key, row.internal_id
        if key and row.connector_key:
            pair = (key, row.connector_key)
            if pair in seen_connector:
                row.fail(
                    "connector_id",
                    f"evse_id '{row.cells.get('evse_id', '').strip()}' connector_id "
                    f"'{row.connector['connector_id']}' is already on line {seen_connector[pair]}",
                )
            else:
                seen_connector[pair] = row.line
        if key and iid:
            other_iid, line = internal_by_key.setdefault(key, (iid, row.line))
            if other_iid != iid:
                row.fail(
                    "evse_id",
                    f"'{row.cells['evse_id'].strip()}' is also used by internal_id '{other_iid}' on line {line}; "
                    "an EVSE ID belongs to one charger",
                )
            other_key, line = key_by_internal.setdefault(iid, (key, row.line))
            if other_key != key:
                row.fail(
                    "internal_id",
                    f"'{iid}' has another evse_id on line {line}; one charger has one EVSE ID",
                )
        if key:
            # Rows of one EVSE must agree on the EVSE's own columns and on its location.
            values = {**row.evse, "location": row.location_key} if row.location_key else dict(row.evse)
            for name, value in values.items():
                if name == "internal_id":
                    continue
                first_value, line = evse_first[key].setdefault(name, (value, row.line))
                if first_value == value:
                    continue
                if name == "location":
                    row.fail(
                        "location_id",
                        f"'{row.location['location_id']}' differs from line {line}: all rows of one EVSE must be at "
                        "one location",
                    )
                else:
                    row.fail(
                        evse_column.get(name, name),
                        f"'{_show(value)}' differs from line {line} ('{_show(first_value)}'): rows of one EVSE must "
                        "agree",
                    )
        if row.location_key:
            for name, value in row.location.items():
                first_value, line = location_first[row.location_key].setdefault(name, (value, row.line))
                if first_value != value:
                    if name == "location_id":
                        message = f"'{value}' is spelled '{first_value}' on line {line}; use one spelling"
                    else:
                        message = (
                            f"'{_show(value)}' differs from line {line} ('{_show(first_value)}') "
                            f"for location_id '{row.location['location_id']}'"
                        )
                    row.fail(location_column.get(name, name), message)
                    conflicted_locations.setdefault(row.location_key, row.line)
            uid = row.evse.get("uid")
            if uid and key:
                owner_key, line = uid_owner.setdefault((row.location_key, uid.upper()), (key, row.line))
                if owner_key != key:
                    row.fail("evse_uid", f"'{uid}' is already the uid of another EVSE of this location on line {line}")

    # A location whose rows disagree is refused whole: we cannot tell which row is right.
    for row in rows:
        if row.location_key in conflicted_locations and not row.errors:
            row.fail(
                "",
                f"not imported: the rows of location_id '{row.location['location_id']}' disagree "
                f"(see line {conflicted_locations[row.location_key]})",
            )


def _poison_evse_siblings(rows: list[_Row]) -> None:
    """An EVSE goes in whole or not at all: skip every row that shares a bad row's evse_id or internal_id."""
    bad_keys: dict[str, int] = {}
    bad_ids: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for row in rows:
            if row.errors:
                if row.evse_key and row.evse_key not in bad_keys:
                    bad_keys[row.evse_key] = row.errors[0].line
                    changed = True
                if row.internal_id and row.internal_id not in bad_ids:
                    bad_ids[row.internal_id] = row.errors[0].line
                    changed = True
        for row in rows:
            if not row.errors:
                line = bad_keys.get(row.evse_key) or bad_ids.get(row.internal_id)
                if line:
                    row.fail("", f"not imported: line {line} of the same EVSE is invalid")
                    changed = True
