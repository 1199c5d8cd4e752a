"""``python manage.py invite_partner --name NAME [--json]``: create an invitation and show token A once."""

import json

from django.core.management.base import BaseCommand

from roaming.ocpi import registry
from roaming.partners.services import partner_invite


class Command(BaseCommand):
    help = "Invite a roaming partner: prints the one-time registration token A and our versions URL."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The partner's business name")
        parser.add_argument("--website", default="")
        parser.add_argument("--json", action="store_true", help="Print machine-readable JSON")

    def handle(self, *args, name, website, json: bool = False, **options):
        partner, token = partner_invite(name=name, website=website)
        payload = {
            "partner_id": partner.pk,
            "name": partner.name,
            "token": token,
            "versions_url": registry.versions_url(),
        }
        if json:
            self.stdout.write(_dumps(payload))
            return
        self.stdout.write(self.style.SUCCESS(f"Invitation created for {partner.name} (partner #{partner.pk})."))
        self.stdout.write("Send these to the partner over a secure channel. The token is shown only now:")
        self.stdout.write(f"  Versions URL: {payload['versions_url']}")
        self.stdout.write(f"  Token A:      {token}")


def _dumps(payload) -> str:
    return json.dumps(payload)
