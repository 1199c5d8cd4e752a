"""``python manage.py push_pending``: deliver every due outbox message now (handy without a worker and beat)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.push import outbox_deliver


class Command(BaseCommand):
    help = "Deliver all due pending pushes in this process."

    def handle(self, *args, **options):
        keys = (
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now())
            .values_list("partner_id", "module", "object_key")
            .distinct()
        )
        outcomes = [outbox_deliver(*key) for key in keys]
        self.stdout.write(f"{len(outcomes)} object(s) processed")
        for outcome in outcomes:
            self.stdout.write(f"  {outcome}")
