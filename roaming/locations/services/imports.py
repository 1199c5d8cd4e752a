"""Import our own chargers from a CSV file: Location -> EVSE -> Connector (mod_locations.asciidoc, "Object
description"; EVSE ID syntax: ocpi-reference §7.1).

The file has a header row and one row per **connector**. Rows with the same ``evse_id`` form one EVSE, EVSEs with
the same ``location_id`` one Location. Header names are case-insensitive (``EVSE ID`` and ``evse-id`` are read as
``evse_id``); the delimiter may be ``,``, ``;`` or a tab; the file must be UTF-8 (a BOM is fine). Unknown columns are
ignored and listed in the report.

Required columns (every cell non-empty):

========================= =============================================================================================
``internal_id``           the charger's id in our CSMS (max 100 characters); one charger has one EVSE ID
``evse_id``               the public eMI3 EVSE ID, e.g. ``NL*EXA*E12345`` (case-insensitive, stored upper-case)
``location_id``           OCPI Location.id, CiString(36)
``location_name``         string(255)
``address``               street and number, string(255)
``city``                  string(45)
``postal_code``           string(10)
``country``               ISO 3166-1 alpha-2 or alpha-3 (``NL`` or ``NLD``); stored as alpha-3
``latitude``              WGS 84 decimal degrees, -90..90; fewer than 5 decimals are padded, more than 7 rounded
``longitude``             WGS 84 decimal degrees, -180..180; same rules; a decimal comma is accepted
``connector_id``          Connector.id, unique within its EVSE, CiString(36)
``standard``              OCPI ConnectorType, e.g. ``IEC_62196_T2`` (any case)
``format``                ``SOCKET`` or ``CABLE`` (any case)
``power_type``            ``AC_1_PHASE``, ``AC_2_PHASE``, ``AC_2_PHASE_SPLIT``, ``AC_3_PHASE`` or ``DC`` (any case)
``max_voltage``           whole number of volts, > 0
``max_amperage``          whole number of amperes, > 0
========================= =============================================================================================

Optional columns. A column missing from the header leaves the field of existing objects untouched; an empty cell in
a present column clears the field (except ``evse_uid``, ``time_zone``, ``status`` and ``publish``, where an empty
cell means "not given"):

========================= =============================================================================================
``evse_uid``              EVSE.uid, CiString(36). Immutable once created. Default for a new EVSE: its EVSE ID
                          (when longer than 36: without ``*``, and its last 36 characters if still too long)
``max_electric_power``    whole number of watts, > 0
``tariff_ids``            tariff ids separated by ``;`` (CiString(36) each)
``terms_and_conditions``  URL
``time_zone``             IANA name such as ``Europe/Amsterdam``. Default for a new location: the country's zone
                          when it has one main zone, else ``UTC`` (with a warning in the report)
``parking_type``          OCPI ParkingType
``facilities``            OCPI Facility values separated by ``;``
``state``                 string(45)
``publish``               ``true``/``false`` (also yes/no, 1/0); default for a new location: true
``capabilities``          OCPI Capability values separated by ``;``
``physical_reference``    string(16), the label printed on the charger
``floor_level``           string(4)
``status``                OCPI Status of a **new** EVSE (default ``UNKNOWN``); existing EVSEs keep theirs, since
                          live status comes from the CSMS (``POST /api/v1/chargers/{internal_id}/status``)
========================= =============================================================================================

Location columns must agree on every row of one ``location_id``, EVSE columns on every row of one ``evse_id``.

Validation refuses: a missing or empty required column; a bad EVSE ID; a value outside an OCPI enum; a bad number
or coordinate; a value longer than OCPI allows; the same ``evse_id`` + ``connector_id`` twice; one ``evse_id`` on two
``internal_id`` s (or the reverse); an ``evse_id`` or ``internal_id`` already mapped to a different charger in the
database; an EVSE whose rows disagree, or that the file would move to another location; a ``location_id`` whose
rows disagree. A file with any bad row imports nothing, unless ``good_rows_only``: then the good rows are imported,
and every row of an EVSE that has a bad row is skipped with it (an EVSE goes in whole or not at all).

The import only adds and updates, never deletes. It is idempotent: re-importing a file changes nothing and pushes
nothing. Changed objects get a new ``last_updated`` (and so do their parents), then every changed location is PUT
to the partners once, all in one transaction (``location_push_own``).
"""

import csv
import difflib
import io
import os
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from roaming.core.exceptions import StateConflict
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
    ISO_3166_ALPHA3_TO_ALPHA2,
    EvseIdError,
    country_alpha3,
    evse_id_key,
    evse_id_parse,
)
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import own
from roaming.ocpi.fields import validate_cistring, validate_ocpi_string

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

_BATCH = 1000
# Tariff restrictions are evaluated in the location's local time, so a wrong zone misprices sessions: the report
# warns whenever this fallback is used.
FALLBACK_TIME_ZONE = "UTC"
# Countries spanning several IANA zones where one zone covers nearly everyone (zone.tab lists no "main" zone).
_MAIN_TIME_ZONE = {
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "UA": "Europe/Kyiv",
}


# --- Report ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowError:
    """One reason a row was refused (or a warning about it). ``line`` counts the header as line 1."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.column}: {self.message}" if self.column else f"line {self.line}: {self.message}"
        )


@dataclass
class ImportReport:
    """What an import found and did (or, in a dry run or a refused file, what it would have done)."""

    dry_run: bool = False
    good_rows_only: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    imported: bool = False
    rows_imported: int = 0
    locations_created: int = 0
    locations_updated: int = 0
    evses_created: int = 0
    evses_updated: int = 0
    connectors_created: int = 0
    connectors_updated: int = 0
    connectors_unchanged: int = 0
    pushed_locations: list[str] = field(default_factory=list)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def refused(self) -> bool:
        """Bad rows stopped the whole file: nothing was (or would be) imported."""
        return bool(self.errors) and (not self.good_rows_only or self.rows_imported == 0)

    @property
    def changed(self) -> bool:
        return bool(
            self.locations_created
            or self.locations_updated
            or self.evses_created
            or self.evses_updated
            or self.connectors_created
            or self.connectors_updated
        )

    def errors_by_line(self) -> list[tuple[int, list[str]]]:
        """``[(line, ["column: reason", ...]), ...]`` in line order, for tables."""
        grouped: dict[int, list[str]] = defaultdict(list)
        for error in sorted(self.errors):
            grouped[error.line].append(f"{error.column}: {error.message}" if error.column else error.message)
        return sorted(grouped.items())

    def summary(self) -> str:
        """One paragraph for people: the command's first line and the admin page's message."""
        bad = len(self.bad_lines)
        if self.refused:
            if self.rows == 0:
                return "Nothing imported: the file was refused."
            if self.good_rows_only:
                return f"Nothing imported: none of the {self.rows} rows is valid."
            return f"Nothing imported: {bad} of {self.rows} rows are invalid. Fix them, or import the good rows only."
        verb = "Would" if self.dry_run else "Did"
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        skipped = f" {bad} bad rows skipped." if bad else ""
        if not self.changed:
            return f"{prefix}{self.rows_imported} good rows, nothing to change.{skipped}"
        return (
            f"{prefix}{self.rows_imported} good rows.{skipped} {verb} create {self.locations_created} locations, "
            f"{self.evses_created} EVSEs, {self.connectors_created} connectors; update {self.locations_updated} "
            f"locations, {self.evses_updated} EVSEs, {self.connectors_updated} connectors; "
            f"push {len(self.pushed_locations)} locations to partners."
        )


class _FileError(Exception):
    def __init__(self, line: int, message: str):
        self.error = RowError(line, "", message)


# --- Value parsing, shared with the CSMS API ------------------------------------------------------------------


def geo_coordinate(value: str, *, axis: str) -> str:
    """An OCPI GeoLocation string (``-?[0-9]{1,2}\\.[0-9]{5,7}`` / ``-?[0-9]{1,3}\\.[0-9]{5,7}``) from a
    lenient decimal: fewer than 5 decimals are padded, more than 7 rounded (under 1 cm), a decimal comma is read
    as a point. ``ValueError`` when it is not a number or out of range."""
    text = str(value).strip().replace(",", ".")
    limit = 90 if axis == "latitude" else 180
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a decimal number of degrees such as 52.37403")
    if not number.is_finite() or "e" in text.lower():
        raise ValueError(f"'{value}' is not a decimal number of degrees such as 52.37403")
    if abs(number) > limit:
        raise ValueError(f"'{value}' is out of range: {axis} must be between -{limit} and {limit}")
    decimals = max(0, -number.as_tuple().exponent)
    if decimals < 5:
        number = number.quantize(Decimal("0.00001"))
    elif decimals > 7:
        number = number.quantize(Decimal("0.0000001"), rounding=ROUND_HALF_EVEN)
    formatted = format(number, "f")
    sign = "-" if formatted.startswith("-") else ""
    whole, _, fraction = formatted.lstrip("-").partition(".")
    # Leading zeros ("052.1") would break the regex's 1-2 (or 1-3) integer digits.
    return f"{sign}{whole.lstrip('0') or '0'}.{fraction}"


def enum_value(value: str, choices: type[models.TextChoices]) -> str:
    """The exact OCPI enum value for a case-insensitive match (``iec_62196_t2`` -> ``IEC_62196_T2``);
    ``ValueError`` naming the enum, and the closest value when there is one."""
    text = str(value).strip()
    by_upper = _enum_by_upper(choices)
    if text.upper() in by_upper:
        return by_upper[text.upper()]
    close = difflib.get_close_matches(text.upper(), list(by_upper), n=1, cutoff=0.6)
    hint = f"; did you mean {by_upper[close[0]]}?" if close else ""
    shown = ", ".join(choices.values) if len(choices.values) <= 10 else f"{', '.join(choices.values[:4])}, ..."
    raise ValueError(f"'{text}' is not an OCPI {choices.__name__} ({shown}){hint}")


@cache
def _enum_by_upper(choices: type[models.TextChoices]) -> dict[str, str]:
    return {v.upper(): v for v in choices.values}


def enum_list(value: str, choices: type[models.TextChoices]) -> list[str]:
    """``;``-separated enum values, normalised, duplicates dropped, order kept."""
    return list(dict.fromkeys(enum_value(part, choices) for part in value.split(";") if part.strip()))


def positive_int(value: str) -> int:
    text = str(value).strip()
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a whole number")
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number")
    if number <= 0:
        raise ValueError(f"'{text}' must be greater than 0")
    return int(number)


def parse_bool(value: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise ValueError(f"'{value}' is not true or false")


@cache
def _time_zones() -> dict[str, str]:
    return {name.upper(): name for name in zoneinfo.available_timezones()}


def time_zone_name(value: str) -> str:
    """The canonical IANA name for ``value`` (any case); ``ValueError`` when unknown."""
    text = str(value).strip()
    name = _time_zones().get(text.upper())
    if not name:
        raise ValueError(f"'{text}' is not an IANA time zone such as Europe/Amsterdam")
    return name


@cache
def _zones_by_country() -> dict[str, list[str]]:
    """zone.tab (from the tzdata package or the system's zoneinfo): alpha-2 -> its zones, most populous first."""
    text = None
    try:
        text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for base in zoneinfo.TZPATH:
            path = Path(base) / "zone.tab"
            if path.exists():
                text = path.read_text(encoding="utf-8")
                break
    zones: dict[str, list[str]] = defaultdict(list)
    for line in (text or "").splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                zones[parts[0]].append(parts[2])
    return dict(zones)


def default_time_zone(country: str) -> str | None:
    """The time zone of a country (alpha-2 or alpha-3) when it has one main zone; ``None`` when it spans several."""
    try:
        alpha2 = ISO_3166_ALPHA3_TO_ALPHA2[country_alpha3(country)]
    except ValueError:
        return None
    if alpha2 in _MAIN_TIME_ZONE:
        return _MAIN_TIME_ZONE[alpha2]
    zones = _zones_by_country().get(alpha2, [])
    return zones[0] if len(zones) == 1 else None


def evse_uid_derive(evse_id: str) -> str:
    """A stable uid for a new EVSE: its EVSE ID (CiString(36) fits most), else the ID without ``*``.

    OCPI wants a uid that never changes and is not a hardware serial: the EVSE ID is both. An EVSE ID can be
    up to 39 characters; without separators it is at most 37, so the last resort keeps the last 36 (the outlet
    part, which carries the uniqueness within our operator id).
    """
    if len(evse_id) <= 36:
        return evse_id
    key = evse_id_key(evse_id)
    return key if len(key) <= 36 else key[-36:]


def diff_values(obj: models.Model, values: dict) -> dict:
    """The subset of ``values`` that differs from ``obj`` (the fields an update would really change)."""
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


# --- Row parsing -----------------------------------------------------------------------------------------------


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


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _read(file: "IO | str | os.PathLike") -> str:
    if isinstance(file, str | os.PathLike):
        data = Path(file).read_bytes()
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileError(line, "the file is not UTF-8 text: save it as 'CSV UTF-8'")


def _header_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _records(text: str, report: ImportReport) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many locales save with ';': pick the delimiter the header uses most.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_header_name(h) for h in next(reader)]
    except StopIteration:
        raise _FileError(1, "the file is empty: expected a header row")
    except csv.Error as exc:
        raise _FileError(1, f"unreadable header row: {exc}")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise _FileError(1, f"columns appear twice in the header: {', '.join(duplicates)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise _FileError(1, f"missing required columns: {', '.join(missing)}")
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    report.ignored_columns = [h for h in header if h and h not in known]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        previous_end = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _FileError(reader.line_num, f"unreadable CSV: {exc}")
            start, previous_end = previous_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines (often at the end) are not rows
            extra = [c for c in cells[len(header) :] if c.strip()]
            record = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
            if extra:
                record["__extra__"] = f"{len(cells)} cells but the header has {len(header)} columns"
            yield start, record

    return header, rows()


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


def _tariff_ids(value: str) -> list[str]:
    ids = [part.strip() for part in value.split(";") if part.strip()]
    for tariff_id in ids:
        try:
            validate_cistring(tariff_id, 36)
        except ValidationError as exc:
            raise ValueError(f"'{_short(tariff_id)}': {exc.messages[0]}")
    return list(dict.fromkeys(ids))


def _url(value: str) -> str:
    if len(value) > 255:
        raise ValueError(f"at most 255 characters allowed, got {len(value)}")
    try:
        URLValidator()(value)
    except ValidationError:
        raise ValueError(f"'{_short(value)}' is not a URL")
    return value


# --- Cross-row checks ------------------------------------------------------------------------------------------


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


# --- Database lookups ------------------------------------------------------------------------------------------


def _chunks(values: Iterable, size: int = _BATCH) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _own_locations() -> models.QuerySet:
    country_code, party_id = own.own_party()
    return Location.objects.filter(source_partner__isnull=True, country_code=country_code, party_id=party_id)


@dataclass
class _Existing:
    locations: dict[str, Location]  # location key -> own location
    by_internal: dict[str, EVSE]
    by_key: dict[str, list[EVSE]]  # own EVSEs by evse_id key
    uids: dict[tuple[int, str], EVSE]  # (location pk, uid upper) -> EVSE at the file's existing locations
    connectors: dict[tuple[int, str], Connector]  # (evse pk, connector id upper) -> connector


def _load_existing(rows: list[_Row]) -> _Existing:
    location_keys = {r.location_key for r in rows if r.location_key}
    internal_ids = {r.internal_id for r in rows if r.internal_id}
    evse_keys = {r.evse_key for r in rows if r.evse_key}

    locations: dict[str, Location] = {}
    for chunk in _chunks(location_keys):
        for location in _own_locations().annotate(key=Upper("location_id")).filter(key__in=chunk):
            locations[location.key] = location
    by_internal: dict[str, EVSE] = {}
    for chunk in _chunks(internal_ids):
        for evse in EVSE.objects.select_related("location").filter(internal_id__in=chunk):
            by_internal[evse.internal_id] = evse
    by_key: dict[str, list[EVSE]] = defaultdict(list)
    own_evses = EVSE.objects.select_related("location").filter(location__in=_own_locations())
    evse_key_expr = Replace(Upper("evse_id"), models.Value("*"), models.Value(""))
    for chunk in _chunks(evse_keys):
        for evse in own_evses.annotate(key=evse_key_expr).filter(key__in=chunk):
            by_key[evse.key].append(evse)
    uids: dict[tuple[int, str], EVSE] = {}
    for chunk in _chunks([loc.pk for loc in locations.values()]):
        for evse in EVSE.objects.filter(location_id__in=chunk).only("pk", "location_id", "uid", "internal_id"):
            uids[(evse.location_id, evse.uid.upper())] = evse
    evse_pks = {e.pk for e in by_internal.values()} | {e.pk for evses in by_key.values() for e in evses}
    connectors: dict[tuple[int, str], Connector] = {}
    for chunk in _chunks(evse_pks):
        for connector in Connector.objects.filter(evse_id__in=chunk):
            connectors[(connector.evse_id, connector.connector_id.upper())] = connector
    return _Existing(locations, by_internal, dict(by_key), uids, connectors)


def _match_evse(group: list[_Row], existing: _Existing) -> EVSE | None:
    """Find the EVSE these rows describe (by internal_id, else an unmapped own EVSE with this EVSE ID) or record
    why the database refuses them. Returns ``None`` for a new EVSE."""
    first = group[0]
    iid, key = first.internal_id, first.evse_key
    evse_id = first.evse["evse_id"]
    country_code, party_id = own.own_party()

    by_internal = existing.by_internal.get(iid)
    if by_internal is not None:
        location = by_internal.location
        if location.source_partner_id is not None or (location.country_code, location.party_id) != (
            country_code,
            party_id,
        ):
            first.fail("internal_id", f"'{iid}' is mapped to an EVSE of another party ({location})")
            return None
    same_key = existing.by_key.get(key, [])
    others = [e for e in same_key if e.internal_id and e.internal_id != iid]
    if others:
        other = others[0]
        first.fail(
            "evse_id",
            f"'{evse_id}' is already mapped to internal_id '{other.internal_id}' "
            f"(EVSE uid '{other.uid}' at location '{other.location.location_id}')",
        )
        return None
    if by_internal is not None and by_internal.evse_id and evse_id_key(by_internal.evse_id) != key:
        first.fail(
            "internal_id",
            f"'{iid}' is already mapped to evse_id '{by_internal.evse_id}'; change the mapping in the admin first",
        )
        return None
    target = by_internal
    if target is None:
        unmapped = [e for e in same_key if not e.internal_id]
        if len(unmapped) > 1:
            first.fail("evse_id", f"'{evse_id}' is used by {len(unmapped)} of our EVSEs; fix that in the admin first")
            return None
        # An EVSE staff created by hand (no internal_id yet) gets mapped, not duplicated.
        target = unmapped[0] if unmapped else None

    if target is not None:
        if target.location.location_id.upper() != first.location_key:
            first.fail(
                "location_id",
                f"'{first.location['location_id']}': this EVSE is at location '{target.location.location_id}'; "
                "the import does not move EVSEs between locations",
            )
            return None
        uid = first.evse.get("uid")
        if uid and uid.upper() != target.uid.upper():
            first.fail("evse_uid", f"'{uid}': this EVSE's uid is '{target.uid}' and a uid never changes")
            return None
        return target

    location = existing.locations.get(first.location_key)
    uid = first.evse.get("uid") or evse_uid_derive(evse_id)
    taken = existing.uids.get((location.pk, uid.upper())) if location else None
    if taken is not None:
        first.fail("evse_uid", f"'{uid}' is already the uid of another EVSE at location '{location.location_id}'")
    return None


# --- Service ---------------------------------------------------------------------------------------------------


def chargers_import_csv(*, file, good_rows_only: bool = False, dry_run: bool = False) -> ImportReport:
    """Import our chargers from a CSV file (one row per connector) into Location -> EVSE -> Connector and push each
    changed location to the partners (mod_locations.asciidoc; the column reference is this module's docstring).

    ``file``: a path, or a file object opened in binary or text mode (an uploaded file works). With bad rows
    nothing is written unless ``good_rows_only``; ``dry_run`` validates and counts without writing. The returned
    report lists every bad row with its line number (the header is line 1) and the reasons.
    """
    report = ImportReport(dry_run=dry_run, good_rows_only=good_rows_only)
    try:
        text = _read(file)
        header, records = _records(text, report)
        columns = set(header)
        rows = [_parse_row(line, cells, columns) for line, cells in records]
    except _FileError as exc:
        report.errors.append(exc.error)
        return report
    report.rows = len(rows)

    _check_file(rows)
    _poison_evse_siblings(rows)
    existing = _load_existing([r for r in rows if not r.errors])

    groups: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if not row.errors:
            groups[row.evse_key].append(row)
    targets = {key: _match_evse(group, existing) for key, group in groups.items()}
    _poison_evse_siblings(rows)

    report.errors = sorted(e for row in rows for e in row.errors)
    good = [r for r in rows if not r.errors]
    report.rows_imported = len(good) if (good_rows_only or not report.errors) else 0
    if report.rows_imported == 0:
        return report

    good_keys = {r.evse_key for r in good}
    plan = _plan(good, existing, {k: v for k, v in targets.items() if k in good_keys}, report)
    if dry_run:
        return report
    try:
        with transaction.atomic():
            _apply(plan)
            own.locations_push_own(plan.push)
    except IntegrityError:
        # A uid or internal_id the checks did not foresee (typically a concurrent change): nothing is written.
        raise StateConflict(
            "Nothing was imported: the chargers conflict with existing data (a uid or internal_id is already taken, "
            "perhaps by a change made meanwhile). Run the import again."
        )
    report.imported = True
    return report


@dataclass
class _Plan:
    new_locations: list[Location] = field(default_factory=list)
    changed_locations: dict[int, Location] = field(default_factory=dict)
    location_fields: set[str] = field(default_factory=set)
    new_evses: list[EVSE] = field(default_factory=list)
    changed_evses: dict[int, EVSE] = field(default_factory=dict)
    evse_fields: set[str] = field(default_factory=set)
    new_connectors: list[Connector] = field(default_factory=list)
    changed_connectors: list[Connector] = field(default_factory=list)
    connector_fields: set[str] = field(default_factory=set)
    push: list[Location] = field(default_factory=list)


def _plan(good: list[_Row], existing: _Existing, targets: dict[str, EVSE | None], report: ImportReport) -> _Plan:
    """Work out, without writing, every create and update the good rows need, with OCPI timestamps: a changed
    child bumps its parents' last_updated (mod_locations.asciidoc, last_updated), an unchanged one bumps nothing."""
    now = own.now_second()
    plan = _Plan()
    touched: dict[str, Location] = {}  # location key -> location that changed or has a changed child

    locations: dict[str, Location] = {}
    for row in good:
        key = row.location_key
        if key in locations:
            continue
        values = {k: v for k, v in row.location.items() if k != "location_id"}
        location = existing.locations.get(key)
        if location is None:
            country_code, party_id = own.own_party()
            if "time_zone" not in values:
                values["time_zone"] = default_time_zone(values["country"]) or FALLBACK_TIME_ZONE
                if default_time_zone(values["country"]) is None:
                    report.warnings.append(
                        RowError(
                            row.line,
                            "time_zone",
                            f"not given and country {values['country']} has several time zones: using "
                            f"{FALLBACK_TIME_ZONE}; add a time_zone column",
                        )
                    )
            location = Location(
                country_code=country_code,
                party_id=party_id,
                location_id=row.location["location_id"],
                last_updated=now,
                **values,
            )
            plan.new_locations.append(location)
            touched[key] = location
            report.locations_created += 1
        else:
            changes = diff_values(location, values)
            if changes:
                for name, value in changes.items():
                    setattr(location, name, value)
                plan.location_fields |= set(changes)
                plan.changed_locations[location.pk] = location
                touched[key] = location
        locations[key] = location

    evse_rows: dict[str, list[_Row]] = defaultdict(list)
    for row in good:
        evse_rows[row.evse_key].append(row)
    for key, group in evse_rows.items():
        first = group[0]
        location = locations[first.location_key]
        evse = targets.get(key)
        values = {k: v for k, v in first.evse.items() if k != "uid"}
        evse_touched = False
        if evse is None:
            evse = EVSE(
                location=location,
                uid=first.evse.get("uid") or evse_uid_derive(first.evse["evse_id"]),
                last_updated=now,
                **values,
            )
            plan.new_evses.append(evse)
            report.evses_created += 1
            evse_touched = True
        else:
            # Live status belongs to the CSMS (status API); the file's status only seeds new EVSEs.
            values.pop("status", None)
            changes = diff_values(evse, values)
            if changes:
                for name, value in changes.items():
                    setattr(evse, name, value)
                plan.evse_fields |= set(changes)
                evse_touched = True
        for row in group:
            connector = existing.connectors.get((evse.pk, row.connector_key)) if evse.pk else None
            values = {k: v for k, v in row.connector.items() if k != "connector_id"}
            if connector is None:
                plan.new_connectors.append(
                    Connector(evse=evse, last_updated=now, connector_id=row.connector["connector_id"], **values)
                )
                report.connectors_created += 1
                evse_touched = True
                continue
            changes = diff_values(connector, values)
            if not changes:
                report.connectors_unchanged += 1
                continue
            for name, value in changes.items():
                setattr(connector, name, value)
            connector.last_updated = now
            plan.connector_fields |= set(changes)
            plan.changed_connectors.append(connector)
            report.connectors_updated += 1
            evse_touched = True
        if evse_touched:
            evse.last_updated = now
            if evse.pk:
                plan.changed_evses[evse.pk] = evse
                report.evses_updated += 1
            touched[first.location_key] = location

    for location in touched.values():
        location.last_updated = now
        if location.pk:  # existing, with a changed field or a changed EVSE/connector
            plan.changed_locations[location.pk] = location
            report.locations_updated += 1
    plan.push = list(touched.values())
    report.pushed_locations = [loc.location_id for loc in plan.push]
    return plan


def _apply(plan: _Plan) -> None:
    """Write the plan with bulk queries: a constant number per batch, whatever the number of rows."""
    stamp = timezone.now()
    Location.objects.bulk_create(plan.new_locations, batch_size=_BATCH)
    for objs, model, fields in (
        (plan.changed_locations.values(), Location, plan.location_fields),
        (plan.changed_evses.values(), EVSE, plan.evse_fields),
        (plan.changed_connectors, Connector, plan.connector_fields),
    ):
        if objs:
            for obj in objs:
                obj.updated_at = stamp  # bulk_update skips auto_now
            model.objects.bulk_update(list(objs), [*sorted(fields), "last_updated", "updated_at"], batch_size=_BATCH)
    # bulk_create copies each parent's new primary key into the child's foreign key (parents are created first).
    EVSE.objects.bulk_create(plan.new_evses, batch_size=_BATCH)
    Connector.objects.bulk_create(plan.new_connectors, batch_size=_BATCH)
