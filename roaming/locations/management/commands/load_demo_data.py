"""``python manage.py load_demo_data``: a staff login, a CSMS API token, tariffs and a few chargers, so a newcomer
has a working back office to click through (tariffs first: the chargers reference them). Safe to run again: it only
adds what is missing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from roaming.locations.services.imports import chargers_import_csv
from roaming.tariffs.demo import load_demo_tariffs

DEMO_CSV = Path(__file__).resolve().parents[2] / "demo" / "demo_chargers.csv"


class Command(BaseCommand):
    help = "Load demo data: admin/admin superuser, a CSMS API token, demo chargers and tariffs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="admin", help="Password of the demo 'admin' user")

    def handle(self, *args, password, **options):
        user_model = get_user_model()
        admin = user_model.objects.filter(username="admin").first()
        if admin is None:
            admin = user_model.objects.create_superuser("admin", "admin@example.com", password)
            self.stdout.write(f"Created superuser admin / {password}")
        token, _ = Token.objects.get_or_create(user=admin)
        self.stdout.write(f"CSMS API token (Authorization: Token ...): {token.key}")
        self.stdout.write(load_demo_tariffs())
        report = chargers_import_csv(file=DEMO_CSV)
        if report.refused:
            self.stderr.write(report.summary())
        else:
            self.stdout.write(f"Demo chargers: {report.summary()}")
