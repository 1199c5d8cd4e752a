"""``python manage.py import_chargers FILE.csv [--good-rows-only] [--dry-run]``: import our chargers from a CSV.

The columns are documented in ``roaming.locations.services.imports``. Exit status 1 when rows were refused and
nothing was imported (or when the file cannot be read), so scripts and CI can rely on it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roaming.core.exceptions import DomainError
from roaming.locations.services.imports import chargers_import_csv


class Command(BaseCommand):
    help = "Import our chargers (one row per connector) from a CSV file and push changed locations to partners."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row; see the README for the columns")
        parser.add_argument(
            "--good-rows-only",
            action="store_true",
            help="Import the valid rows even when others are invalid (an EVSE with a bad row is skipped whole)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate and count, write nothing")

    def handle(self, *args, file: str, good_rows_only: bool = False, dry_run: bool = False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            report = chargers_import_csv(file=path, good_rows_only=good_rows_only, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(exc.message)

        style = self.style.ERROR if report.refused else self.style.SUCCESS
        self.stdout.write(style(report.summary()))
        if report.ignored_columns:
            self.stdout.write(f"Ignored unknown columns: {', '.join(report.ignored_columns)}")
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        for error in report.errors:
            self.stdout.write(str(error))
        if report.refused:
            raise CommandError(f"{len(report.bad_lines)} bad rows; nothing imported.")
