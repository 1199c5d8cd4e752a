"""``python manage.py create_missing_cdrs``: create (and send) the CDR of every completed session of ours that has
none, e.g. after a failure was logged when the session completed."""

from django.core.management.base import BaseCommand

from roaming.cdrs.selectors import sessions_without_cdr
from roaming.cdrs.services.from_session import cdr_create_from_session


class Command(BaseCommand):
    help = "Create the CDRs of completed sessions that have none."

    def handle(self, *args, **options):
        created = 0
        for session in sessions_without_cdr():
            if cdr_create_from_session(session=session) is not None:
                created += 1
        self.stdout.write(f"{created} CDR(s) created")
