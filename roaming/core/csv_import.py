"""What every CSV import of staff files shares (our chargers, our drivers' tokens): reading the file, the header,
the rows with their line numbers, per-line errors and the report's refusal rules.

Files are UTF-8 (BOM fine), with a header row whose names are case-insensitive; the delimiter is ``,``, ``;`` or
tab (spreadsheets in many locales save with ``;``), whichever the header uses most. Lines are counted as people
see them in an editor: the header is line 1. An import with any bad row imports nothing unless ``good_rows_only``.
"""

import csv
import io
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from roaming.core.text import is_are, plural


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


class CsvFileError(Exception):
    """The file as a whole cannot be read (not UTF-8, no header, a required column missing...)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.error = RowError(line, "", message)


@dataclass
class CsvImportReport:
    """The part of an import's report every import has; modules add their counts."""

    dry_run: bool = False
    good_rows_only: bool = False
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rows_imported: int = 0

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def refused(self) -> bool:
        """Bad rows stopped the whole file: nothing was (or would be) imported."""
        return bool(self.errors) and (not self.good_rows_only or self.rows_imported == 0)

    def errors_by_line(self) -> list[tuple[int, list[str]]]:
        """``[(line, ["column: reason", ...]), ...]`` in line order, for tables."""
        grouped: dict[int, list[str]] = defaultdict(list)
        for error in sorted(self.errors):
            grouped[error.line].append(f"{error.column}: {error.message}" if error.column else error.message)
        return sorted(grouped.items())

    def refusal_summary(self) -> str:
        """The summary of a refused file (``refused``)."""
        if self.rows == 0:
            return "Nothing imported: the file was refused."
        if self.good_rows_only:
            return (
                "Nothing imported: the only row is invalid."
                if self.rows == 1
                else (f"Nothing imported: none of the {self.rows} rows is valid.")
            )
        bad = len(self.bad_lines)
        return (
            f"Nothing imported: {bad} of {plural(self.rows, 'row')} {is_are(bad)} invalid. Fix "
            f"{'it' if bad == 1 else 'them'}, or import the good rows only."
        )

    def outcome_prefix(self) -> tuple[str, str, str]:
        """``(prefix, verb, skipped)`` for the summary of an import that went through (or would have)."""
        bad = len(self.bad_lines)
        return (
            "Dry run, nothing written: " if self.dry_run else "",
            "Would" if self.dry_run else "Did",
            f" {plural(bad, 'bad row')} skipped." if bad else "",
        )


def csv_text(file: "IO | str | os.PathLike") -> str:
    """The file's text: a path, an uploaded file or a text stream; UTF-8 with or without a BOM."""
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
        raise CsvFileError(data[: exc.start].count(b"\n") + 1, "the file is not UTF-8 text: save it as 'CSV UTF-8'")


def csv_header_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def csv_records(
    text: str, *, required: Iterable[str], optional: Iterable[str]
) -> tuple[list[str], list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Read the header now (``CsvFileError`` when it is unusable) and return ``(header, ignored_columns, rows)``.

    ``rows`` yields ``(line, {column: cell})`` for every non-blank row, ``line`` being where the row starts; a row
    with more non-empty cells than the header has columns carries the problem under ``"__extra__"``.
    """
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [csv_header_name(h) for h in next(reader)]
    except StopIteration:
        raise CsvFileError(1, "the file is empty: expected a header row")
    except csv.Error as exc:
        raise CsvFileError(1, f"unreadable header row: {exc}")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise CsvFileError(1, f"columns appear twice in the header: {', '.join(duplicates)}")
    required = list(required)
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvFileError(1, f"missing required columns: {', '.join(missing)}")
    known = set(required) | set(optional)
    ignored = [h for h in header if h and h not in known]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        previous_end = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvFileError(reader.line_num, f"unreadable CSV: {exc}")
            start, previous_end = previous_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines (often at the end) are not rows
            record = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
            if any(c.strip() for c in cells[len(header) :]):
                record["__extra__"] = f"{len(cells)} cells but the header has {len(header)} columns"
            yield start, record

    return header, ignored, rows()
