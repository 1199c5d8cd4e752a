"""``python manage.py load_demo_data``: a staff login, a CSMS API key, tariffs and a few chargers, so a newcomer
has a working back office to click through (tariffs first: the chargers reference them). Safe to run again: it only
adds what is missing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from roaming.core.api_keys import api_key_create, api_key_revoke
from roaming.core.models import ApiKey
from roaming.locations.services.imports import chargers_import_csv
from roaming.tariffs.demo import load_demo_tariffs

DEMO_CSV = Path(__file__).resolve().parents[2] / "demo" / "demo_chargers.csv"
DEMO_KEY_NAME = "demo CSMS"


class Command(BaseCommand):
    help = "Load demo data: admin/admin superuser, a CSMS API key, demo chargers and tariffs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="admin", help="Password of the demo 'admin' user")

    def handle(self, *args, password, **options):
        user_model = get_user_model()
        admin = user_model.objects.filter(username="admin").first()
        if admin is None:
            admin = user_model.objects.create_superuser("admin", "admin@example.com", password)
            self.stdout.write(f"Created superuser admin / {password}")
        # Keys are kept as digests only: each run issues a fresh demo key (printed once) and revokes the last one.
        for previous in ApiKey.objects.filter(user=admin, name=DEMO_KEY_NAME, revoked_at__isnull=True):
            api_key_revoke(api_key=previous)
        key = api_key_create(user=admin, name=DEMO_KEY_NAME)[1]
        self.stdout.write(f"CSMS API key (Authorization: Token ...): {key}")
        self.stdout.write(load_demo_tariffs())
        report = chargers_import_csv(file=DEMO_CSV)
        if report.refused:
            self.stderr.write(report.summary())
        else:
            self.stdout.write(f"Demo chargers: {report.summary()}")
