"""The charger import service: read, check, match, plan, apply, report."""

from collections import defaultdict

from django.db import IntegrityError, transaction

from roaming.core.csv_import import CsvFileError, csv_text
from roaming.core.exceptions import StateConflict
from roaming.locations.services import own
from roaming.locations.services.imports.apply import _apply, _plan
from roaming.locations.services.imports.matching import _load_existing, _match_evse
from roaming.locations.services.imports.report import ImportReport
from roaming.locations.services.imports.rows import (
    _check_file,
    _parse_row,
    _poison_evse_siblings,
    _records,
    _Row,
)


def chargers_import_csv(*, file, good_rows_only: bool = False, dry_run: bool = False) -> ImportReport:
    """Import our chargers from a CSV file (one row per connector) into Location -> EVSE -> Connector and push each
    changed location to the partners (mod_locations.asciidoc; the column reference is this module's docstring).

    ``file``: a path, or a file object opened in binary or text mode (an uploaded file works). With bad rows
    nothing is written unless ``good_rows_only``; ``dry_run`` validates and counts without writing. The returned
    report lists every bad row with its line number (the header is line 1) and the reasons.
    """
    report = ImportReport(dry_run=dry_run, good_rows_only=good_rows_only)
    try:
        text = csv_text(file)
        header, records = _records(text, report)
        columns = set(header)
        rows = [_parse_row(line, cells, columns) for line, cells in records]
    except CsvFileError as exc:
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
