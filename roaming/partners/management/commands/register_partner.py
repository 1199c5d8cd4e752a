"""``python manage.py register_partner --versions-url URL --token TOKEN``: register with a partner."""

import json

from django.core.management.base import BaseCommand, CommandError

from roaming.core.exceptions import DomainError
from roaming.partners.services import partner_create_outbound, partner_register_outbound


class Command(BaseCommand):
    help = "Run the OCPI credentials handshake with a partner, given its versions URL and the token A it issued."

    def add_arguments(self, parser):
        parser.add_argument("--versions-url", required=True)
        parser.add_argument("--token", required=True, help="The registration token (token A) the partner gave us")
        parser.add_argument("--name", default="", help="Business name (default: taken from its credentials)")
        parser.add_argument("--plain-token", action="store_true", help="Send the token unencoded (2.1.1 style)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, versions_url, token, name, plain_token, json, **options):
        try:
            partner = partner_create_outbound(
                versions_url=versions_url, token=token, name=name, token_encoding="plain" if plain_token else ""
            )
            partner = partner_register_outbound(partner=partner)
        except DomainError as exc:
            raise CommandError(f"Registration failed: {exc.message}")
        roles = [f"{r.country_code}/{r.party_id} {r.role}" for r in partner.roles.all()]
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "partner_id": partner.pk,
                        "name": partner.name,
                        "status": partner.status,
                        "version": partner.version,
                        "roles": roles,
                    }
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Registered with {partner.name} on OCPI {partner.version}: {', '.join(roles)}")
        )


def _dumps(payload) -> str:
    return json.dumps(payload)
