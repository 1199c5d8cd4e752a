"""CSV import of card batches (the files an eMSP receives from its card supplier) into our own tokens.

One row per token; a header row; UTF-8 (BOM fine); delimiter ``,``, ``;`` or tab; header names case-insensitive.
Columns (``TEMPLATE_COLUMNS``): ``uid``, ``contract_id`` and ``issuer`` are required; ``type`` (default RFID),
``visual_number``, ``group_id``, ``valid`` (default true), ``whitelist`` (default ALLOWED), ``language``,
``default_profile_type``, ``energy_contract_supplier`` and ``energy_contract_id`` are optional. Unknown columns
are ignored and listed. ``contract_id`` must be an eMA ID (check digit verified when present).

Errors are reported per line as the charger import does (``line 7: contract_id: ...``, the header is line 1). A file
with any bad row imports nothing, unless ``good_rows_only``. Importing the same file twice changes nothing the
second time: a token is identified by ``(uid, type)``; new tokens are created, changed ones updated, identical ones
left alone, and each new or changed token is pushed to every CPO partner (PUT, or PATCH when only valid/whitelist
changed) in the same transaction. Written in bulk: 100,000 rows take seconds, not minutes.
"""

import csv
import io
import os
from dataclasses import dataclass
from typing import IO

from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone

from roaming.core.csv_import import CsvFileError, CsvImportReport, RowError, csv_records, csv_text
from roaming.core.text import plural
from roaming.locations.services.imports import parse_bool
from roaming.ocpi.push import push_enqueue_many
from roaming.tokens.choices import ProfileType, TokenType, WhitelistType
from roaming.tokens.ema_id import EmaIdError, ema_id_parse
from roaming.tokens.models import Token
from roaming.tokens.selectors import own_party
from roaming.tokens.services.common import MODULE, analyze_if_stale, now_second, tokens_insert
from roaming.tokens.services.own import PATCH_FIELDS, patch_item, put_item

REQUIRED_COLUMNS = ("uid", "contract_id", "issuer")
OPTIONAL_COLUMNS = (
    "type",
    "visual_number",
    "group_id",
    "valid",
    "whitelist",
    "language",
    "default_profile_type",
    "energy_contract_supplier",
    "energy_contract_id",
)
TEMPLATE_COLUMNS = (*REQUIRED_COLUMNS[:1], "type", *REQUIRED_COLUMNS[1:], *OPTIONAL_COLUMNS[1:])
TEMPLATE_EXAMPLE = {
    "uid": "04A2B3C4D5E680",
    "type": "RFID",
    "contract_id": "NL-EXA-C12345678-X",
    "issuer": "Example Mobility",
    "visual_number": "EXA-0001-2345",
    "group_id": "",
    "valid": "true",
    "whitelist": "ALLOWED",
    "language": "nl",
    "default_profile_type": "",
    "energy_contract_supplier": "",
    "energy_contract_id": "",
}
_CHANGEABLE = (
    "contract_id",
    "visual_number",
    "issuer",
    "group_id",
    "valid",
    "whitelist",
    "language",
    "default_profile_type",
    "energy_contract",
)
CHUNK = 2000


def template_csv() -> str:
    """The downloadable template: the header and one example row (a valid eMA ID with its check digit)."""
    example = {**TEMPLATE_EXAMPLE, "contract_id": ema_id_parse("NL-EXA-C12345678").dashed}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TEMPLATE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerow(example)
    return out.getvalue()


@dataclass
class TokenImportReport(CsvImportReport):
    """What an import found and did (or, in a dry run or a refused file, what it would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pushes: int = 0

    def summary(self) -> str:
        if self.refused:
            return self.refusal_summary()
        prefix, verb, skipped = self.outcome_prefix()
        return (
            f"{prefix}{plural(self.rows_imported, 'good row')}.{skipped} {verb} create "
            f"{plural(self.created, 'token')}, update {self.updated}, leave {self.unchanged} unchanged."
        )


def _ascii(value: str, max_length: int) -> str | None:
    """Why ``value`` is not a CiString(max_length), or None."""
    if len(value) > max_length:
        return f"'{value[:40]}': at most {max_length} characters, got {len(value)}"
    if any(not 0x20 <= ord(c) <= 0x7E for c in value):
        return f"'{value[:40]}': only printable ASCII characters are allowed"
    return None


def _text(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return f"at most {max_length} characters, got {len(value)}"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "control characters are not allowed"
    return None


def _enum(value: str, choices, default: str) -> tuple[str | None, str | None]:
    text = value.strip().upper()
    if not text:
        return default, None
    if text not in choices.values:
        return None, f"'{value}' is not one of {', '.join(choices.values)}"
    return text, None


def _parse_row(line: int, cells: dict[str, str], errors: list[RowError]) -> dict | None:
    failed = False

    def fail(column: str, message: str) -> None:
        nonlocal failed
        failed = True
        errors.append(RowError(line, column, message))

    def get(column: str) -> str:
        return (cells.get(column) or "").strip()

    row: dict = {}
    for column in REQUIRED_COLUMNS:
        if not get(column):
            fail(column, "is required")
    uid = get("uid")
    if uid and (problem := _ascii(uid, 36)):
        fail("uid", problem)
    row["uid"] = uid
    row["type"], problem = _enum(get("type"), TokenType, TokenType.RFID)
    if problem:
        fail("type", problem)
    if get("contract_id"):
        try:
            ema_id_parse(get("contract_id"))
            row["contract_id"] = get("contract_id").upper()
        except EmaIdError as exc:
            fail("contract_id", exc.reason)
    for column, limit in (("issuer", 64), ("visual_number", 64)):
        if problem := _text(get(column), limit):
            fail(column, problem)
        row[column] = get(column)
    if problem := _ascii(get("group_id"), 36):
        fail("group_id", problem)
    row["group_id"] = get("group_id")
    try:
        row["valid"] = parse_bool(get("valid")) if get("valid") else True
    except ValueError as exc:
        fail("valid", str(exc))
    row["whitelist"], problem = _enum(get("whitelist"), WhitelistType, WhitelistType.ALLOWED)
    if problem:
        fail("whitelist", problem)
    language = get("language").lower()
    if language and not (len(language) == 2 and language.isascii() and language.isalpha()):
        fail("language", f"'{get('language')}' is not an ISO 639-1 code such as 'en'")
    row["language"] = language
    row["default_profile_type"], problem = _enum(get("default_profile_type"), ProfileType, "")
    if problem:
        fail("default_profile_type", problem)
    supplier, contract = get("energy_contract_supplier"), get("energy_contract_id")
    if contract and not supplier:
        fail("energy_contract_supplier", "is required when energy_contract_id is given")
    for column, value in (("energy_contract_supplier", supplier), ("energy_contract_id", contract)):
        if problem := _text(value, 64):
            fail(column, problem)
    row["energy_contract"] = (
        ({"supplier_name": supplier, "contract_id": contract} if contract else {"supplier_name": supplier})
        if supplier
        else None
    )
    return None if failed else row


def tokens_import_csv(
    *, file: "IO | str | os.PathLike", good_rows_only: bool = False, dry_run: bool = False
) -> TokenImportReport:
    """Import a CSV file of our own tokens (see the module docstring); return the report."""
    report = TokenImportReport(dry_run=dry_run, good_rows_only=good_rows_only)
    parsed: dict[tuple[str, str], dict] = {}
    try:
        _, report.ignored_columns, records = csv_records(
            csv_text(file), required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS
        )
        for line, cells in records:
            report.rows += 1
            if "__extra__" in cells:
                report.errors.append(RowError(line, "", cells["__extra__"]))
                continue
            row = _parse_row(line, cells, report.errors)
            if row is None:
                continue
            key = (row["uid"].upper(), row["type"])
            if key in parsed:
                report.errors.append(
                    RowError(line, "uid", f"'{row['uid']}' ({row['type']}) is already on line {parsed[key]['line']}")
                )
                continue
            row["line"] = line
            parsed[key] = row
    except CsvFileError as exc:
        report.errors.append(exc.error)
        return report
    report.rows_imported = len(parsed)
    if report.errors and not good_rows_only:
        report.rows_imported = 0
        return report
    if not parsed:
        return report
    _write(parsed, report)
    return report


def _write(parsed: dict[tuple[str, str], dict], report: TokenImportReport) -> None:
    country_code, party_id = own_party()
    now, clock = now_second(), timezone.now()
    with transaction.atomic():
        keys = list(parsed)
        existing: dict[tuple[str, str], Token] = {}
        for start in range(0, len(keys), CHUNK):
            uids = list({uid for uid, _ in keys[start : start + CHUNK]})
            rows = (
                Token.objects.select_for_update()
                .annotate(uid_upper=Upper("uid"))
                .filter(country_code=country_code, party_id=party_id, uid_upper__in=uids)
            )
            for token in rows:
                existing[(token.uid_upper, token.type)] = token
        creates, updates, items = [], [], []
        for key, row in parsed.items():
            values = {name: row[name] for name in _CHANGEABLE}
            token = existing.get(key)
            if token is None:
                creates.append(
                    Token(
                        country_code=country_code,
                        party_id=party_id,
                        uid=row["uid"],
                        type=row["type"],
                        last_updated=now,
                        **values,
                    )
                )
                continue
            if token.source_partner_id is not None:  # the constraint makes this impossible; be explicit anyway
                report.errors.append(RowError(row["line"], "uid", "belongs to a partner"))
                continue
            changed = {name for name, value in values.items() if getattr(token, name) != value}
            if not changed:
                report.unchanged += 1
                continue
            for name in changed:
                setattr(token, name, values[name])
            token.last_updated, token.updated_at = max(now, token.last_updated), clock
            updates.append(token)
            items.append(patch_item(token, changed) if changed <= set(PATCH_FIELDS) else put_item(token))
        report.created, report.updated = len(creates), len(updates)
        if report.dry_run:
            transaction.set_rollback(True)
            return
        tokens_insert(creates)
        Token.objects.bulk_update(updates, [*_CHANGEABLE, "last_updated", "updated_at"], batch_size=CHUNK)
        items.extend(put_item(token) for token in creates)
        report.pushes = push_enqueue_many(module=MODULE, items=items)
        analyze_if_stale(Token._meta.db_table, changed=len(creates) + len(updates))
