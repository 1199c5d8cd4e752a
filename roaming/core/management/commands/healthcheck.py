"""``python manage.py healthcheck worker|beat``: the container healthchecks of docker-compose.yml.

* ``worker``: this host's Celery worker answers a control ping within 5 s.
* ``beat``: the scheduler is alive when some enabled periodic task ran recently. The outbox re-queue runs every
  minute, so no run in ``--max-age`` seconds (default 300) means beat is stuck or dead.

Exit status 0 when healthy, 1 otherwise (what Docker expects).
"""

import socket
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone


class Command(BaseCommand):
    help = "Exit 0 when the Celery worker on this host (or Celery beat) is healthy, 1 otherwise."

    def add_arguments(self, parser):
        parser.add_argument("component", choices=["worker", "beat"])
        parser.add_argument("--max-age", type=int, default=300, help="beat: seconds since the last scheduled run")

    def handle(self, *args, component: str, max_age: int, **options):
        healthy, message = self._worker() if component == "worker" else self._beat(max_age)
        self.stdout.write(f"{component}: {message}")
        if not healthy:
            sys.exit(1)

    def _worker(self) -> tuple[bool, str]:
        from config.celery import app

        destination = f"celery@{socket.gethostname()}"
        replies = app.control.ping(destination=[destination], timeout=5)
        return bool(replies), f"{destination} answered" if replies else f"{destination} did not answer a ping"

    def _beat(self, max_age: int) -> tuple[bool, str]:
        from django_celery_beat.models import PeriodicTask

        latest = (
            PeriodicTask.objects.filter(enabled=True, last_run_at__isnull=False)
            .order_by("-last_run_at")
            .values_list("last_run_at", flat=True)
            .first()
        )
        if latest is None:
            return False, "no scheduled task has run yet"
        age = timezone.now() - latest
        return age <= timedelta(seconds=max_age), f"last scheduled run {int(age.total_seconds())} s ago"
