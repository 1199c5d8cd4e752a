"""Factories and payloads for the tokens module."""

import factory
from django.utils import timezone

from roaming.tokens.models import Token


class TokenFactory(factory.django.DjangoModelFactory):
    """One of our own eMSP's tokens (NL/EXA in the test settings)."""

    class Meta:
        model = Token

    country_code = "NL"
    party_id = "EXA"
    uid = factory.Sequence(lambda n: f"UID{n:06d}")
    type = "RFID"
    contract_id = "NL-EXA-C12345678-N"
    issuer = "Example Mobility"
    valid = True
    whitelist = "ALLOWED"
    last_updated = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))


def token_payload(**extra) -> dict:
    """A partner's Token (DE/MSP) in OCPI JSON."""
    body = {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "DE8ACC12E46L89",
        "issuer": "TheNewMotion",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-01-01T00:00:00Z",
    }
    body.update(extra)
    return body
