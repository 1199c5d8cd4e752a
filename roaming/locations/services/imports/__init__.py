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

from roaming.locations.services.imports.columns import (
    EVSE_COLUMNS,
    LOCATION_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    template_csv,
)
from roaming.locations.services.imports.report import ImportReport, RowError
from roaming.locations.services.imports.service import chargers_import_csv
from roaming.locations.services.imports.values import (
    FALLBACK_TIME_ZONE,
    default_time_zone,
    diff_values,
    enum_list,
    enum_value,
    evse_uid_derive,
    geo_coordinate,
    parse_bool,
    positive_int,
    tariff_id_list,
    time_zone_name,
)

__all__ = [
    "EVSE_COLUMNS",
    "FALLBACK_TIME_ZONE",
    "LOCATION_COLUMNS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportReport",
    "RowError",
    "chargers_import_csv",
    "default_time_zone",
    "diff_values",
    "enum_list",
    "enum_value",
    "evse_uid_derive",
    "geo_coordinate",
    "parse_bool",
    "positive_int",
    "tariff_id_list",
    "template_csv",
    "time_zone_name",
]
