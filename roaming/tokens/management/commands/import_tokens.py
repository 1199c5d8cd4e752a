"""``python manage.py import_tokens FILE.csv [--good-rows-only] [--dry-run]``: import a card batch."""

from django.core.management.base import BaseCommand, CommandError

from roaming.tokens.services.imports import tokens_import_csv


class Command(BaseCommand):
    help = "Import our eMSP's tokens (card batches) from a CSV file; see roaming.tokens.services.imports."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--good-rows-only", action="store_true", help="import the good rows, skip the bad")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *args, file, good_rows_only, dry_run, **options):
        report = tokens_import_csv(file=file, good_rows_only=good_rows_only, dry_run=dry_run)
        self.stdout.write(report.summary())
        for line, reasons in report.errors_by_line():
            for reason in reasons:
                self.stdout.write(f"line {line}: {reason}")
        if report.refused:
            raise CommandError("nothing imported")
