"""``python manage.py reconcile PARTNER --module cdrs --from 2026-11-01 --to 2026-12-01 [--repair] [--json]``:
one reconciliation run; exit status 1 when differences remain (unrepaired), 2 when the partner could not be read."""

import json
import sys
from datetime import UTC, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError

from roaming.ocpi.datetimes import to_utc
from roaming.partners.management.commands.sync_partner import find_partner
from roaming.reconciliation.choices import RunStatus
from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from roaming.reconciliation.specs import SPECS


def _moment(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time (``2026-11-01T06:00:00Z``)."""
    try:
        if len(value) == 10:
            return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time.min, tzinfo=UTC)
        return to_utc(value)
    except ValueError:
        raise CommandError(f"{value!r}: a date is YYYY-MM-DD or an ISO 8601 time") from None


class Command(BaseCommand):
    help = "Reconcile one module with a partner for a period (UTC; --to is exclusive)."

    def add_arguments(self, parser):
        parser.add_argument("partner", help="partner id, name, or country_code/party_id (e.g. NL/CPO)")
        parser.add_argument("--module", required=True, choices=sorted(SPECS))
        parser.add_argument(
            "--from", dest="date_from", help="start, YYYY-MM-DD or ISO 8601 time (default: 31 days before --to)"
        )
        parser.add_argument(
            "--to", dest="date_to", help="end (exclusive), YYYY-MM-DD or ISO 8601 time (default: tomorrow)"
        )
        parser.add_argument(
            "--repair",
            action="store_true",
            help="apply the safe repairs (fetch, re-POST a CDR, re-push ours, full pull)",
        )
        parser.add_argument("--json", action="store_true", help="print the run and its differences as JSON")

    def handle(self, *args, **options):
        partner = find_partner(options["partner"])
        today = datetime.now(UTC).date()
        date_to = _moment(options["date_to"]) if options["date_to"] else _moment(str(today + timedelta(days=1)))
        date_from = _moment(options["date_from"]) if options["date_from"] else date_to - timedelta(days=31)
        try:
            run = reconciliation_run(
                partner_id=partner.pk,
                module=options["module"],
                date_from=date_from,
                date_to=date_to,
                repair=options["repair"],
                started_by="command line",
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        differences = Difference.objects.filter(run=run).order_by("kind", "object_id", "field", "id")
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(run, differences), indent=2))
        else:
            self._print(run, differences)
        if run.status == RunStatus.FAILED:
            sys.exit(2)
        if run.open_differences:
            sys.exit(1)

    def _print(self, run, differences):
        self.stdout.write(
            f"Run {run.pk}: {run.get_module_display()} with {run.partner} from {run.date_from:%Y-%m-%d} to "
            f"{run.date_to:%Y-%m-%d}: {run.get_status_display()}"
        )
        for note in run.notes:
            self.stdout.write(f"  {note}")
        if run.last_error:
            self.stdout.write(f"  error: {run.last_error}")
        for difference in differences:
            where = f" {difference.field}:" if difference.field else ""
            done = f" [{difference.get_repair_outcome_display()}]" if difference.repair_outcome else ""
            values = f"ours={json.dumps(difference.our_value)} theirs={json.dumps(difference.their_value)}"
            self.stdout.write(
                f"  {difference.get_kind_display()}: {difference.object_id}{where} {values}"
                f" -> {difference.get_action_display()}{done}"
            )
        self.stdout.write(f"{run.differences_found} differences, {run.repaired} repaired, {run.open_differences} open")


def _as_json(run, differences) -> dict:
    return {
        "run": run.pk,
        "partner": run.partner_id,
        "module": run.module,
        "date_from": run.date_from.isoformat().replace("+00:00", "Z"),
        "date_to": run.date_to.isoformat().replace("+00:00", "Z"),
        "status": run.status,
        "counts": run.counts,
        "differences_found": run.differences_found,
        "repaired": run.repaired,
        "open": run.open_differences,
        "notes": run.notes,
        "error": run.last_error,
        "differences": [
            {
                "kind": d.kind,
                "object_id": d.object_id,
                "field": d.field,
                "ours": d.our_value,
                "theirs": d.their_value,
                "action": d.action,
                "repaired": d.repaired,
                "repair_outcome": d.repair_outcome,
                "repair_message": d.repair_message,
            }
            for d in differences
        ],
    }
