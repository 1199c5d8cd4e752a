"""``python manage.py sync_partner PARTNER --module locations [--full]``: pull a partner's data now."""

from django.core.management.base import BaseCommand, CommandError

from roaming.ocpi.pull import SyncError, pull_modules, sync_pull
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner


def find_partner(ref: str) -> Partner:
    """A partner by id, name, or ``CC/PID`` / ``CCPID`` of one of its roles."""
    partners = Partner.objects.all()
    if ref.isdigit() and partners.filter(pk=int(ref)).exists():
        return partners.get(pk=int(ref))
    by_name = partners.filter(name__iexact=ref)
    if by_name.count() == 1:
        return by_name.get()
    party = ref.replace("/", "").replace("*", "").upper()
    if len(party) in (4, 5):
        by_party = partners.filter(roles__country_code=party[:2], roles__party_id=party[2:]).distinct()
        # The same party may have an old, unregistered connection next to the live one: prefer the live one.
        live = by_party.filter(status=PartnerStatus.REGISTERED)
        match = live.first() or by_party.order_by("-updated_at").first()
        if match is not None:
            return match
    raise CommandError(f"no partner matches '{ref}' (use its id, name or country/party id such as DE/MSP)")


class Command(BaseCommand):
    help = "Pull a partner's SENDER endpoint for a module (incremental unless --full)."

    def add_arguments(self, parser):
        parser.add_argument("partner", help="Partner id, name, or country_code/party_id (e.g. NL/CPO)")
        parser.add_argument("--module", required=True, choices=pull_modules() or None)
        parser.add_argument("--full", action="store_true", help="Pull everything, not only changes")

    def handle(self, *args, partner, module, full, **options):
        target = find_partner(partner)
        try:
            run = sync_pull(partner_id=target.pk, module=module, full=full)
        except SyncError as exc:
            raise CommandError(str(exc))
        if run is None:
            raise CommandError("a pull of this partner and module is already running")
        self.stdout.write(
            f"{run.status}: {run.pages} page(s), {run.received} received, {run.accepted} accepted, "
            f"{run.ignored} ignored, {run.rejected} rejected, {run.removed} removed"
        )
        for removed in run.removed_ids[:20]:
            self.stdout.write(f"  removed: {removed}")
        for error in run.errors[:20]:
            self.stdout.write(f"  rejected: {error}")
        if run.status != "succeeded":
            raise CommandError(run.last_error or "the pull failed")
