"""What an import found and did: per-row errors and warnings, counts, and a summary for people."""

from collections import defaultdict
from dataclasses import dataclass, field


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
    #: partners that receive locations: the changed locations are pushed to each (none: nothing is pushed)
    receiving_partners: int = 0

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
            f"locations, {self.evses_updated} EVSEs, {self.connectors_updated} connectors; {self.push_summary()}"
        )

    def push_summary(self) -> str:
        if not self.receiving_partners:
            return "no partner receives locations yet, so nothing is pushed."
        verb = "would push" if self.dry_run else "push"
        return f"{verb} {len(self.pushed_locations)} locations to {self.receiving_partners} partner(s)."


class _FileError(Exception):
    def __init__(self, line: int, message: str):
        self.error = RowError(line, "", message)
