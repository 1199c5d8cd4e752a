"""What an import found and did: per-row errors and warnings, counts, and a summary for people."""

from dataclasses import dataclass, field

from roaming.core.csv_import import CsvImportReport, RowError
from roaming.core.text import plural

__all__ = ["ImportReport", "RowError"]


@dataclass
class ImportReport(CsvImportReport):
    """What an import found and did (or, in a dry run or a refused file, what it would have done)."""

    warnings: list[RowError] = field(default_factory=list)
    imported: bool = False
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
    def changed(self) -> bool:
        return bool(
            self.locations_created
            or self.locations_updated
            or self.evses_created
            or self.evses_updated
            or self.connectors_created
            or self.connectors_updated
        )

    def summary(self) -> str:
        """One paragraph for people: the command's first line and the admin page's message."""
        if self.refused:
            return self.refusal_summary()
        prefix, verb, skipped = self.outcome_prefix()
        good = plural(self.rows_imported, "good row")
        if not self.changed:
            return f"{prefix}{good}, nothing to change.{skipped}"
        return (
            f"{prefix}{good}.{skipped} {verb} create {plural(self.locations_created, 'location')}, "
            f"{plural(self.evses_created, 'EVSE')}, {plural(self.connectors_created, 'connector')}; update "
            f"{plural(self.locations_updated, 'location')}, {plural(self.evses_updated, 'EVSE')}, "
            f"{plural(self.connectors_updated, 'connector')}; {self.push_summary()}"
        )

    def push_summary(self) -> str:
        if not self.receiving_partners:
            return "no partner receives locations yet, so nothing is pushed."
        verb = "would push" if self.dry_run else "push"
        return (
            f"{verb} {plural(len(self.pushed_locations), 'location')} to {plural(self.receiving_partners, 'partner')}."
        )
