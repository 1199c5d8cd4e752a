"""Small helpers the token services share."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils import timezone

from roaming.partners.models import PartnerRole

MODULE = "tokens"


class PutOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True)
class WriteResult:
    """What a received PUT or PATCH did: ``created`` (answer HTTP 201), ``updated``, or acknowledged and ignored
    because it was ``unchanged`` or ``stale`` (older than what we hold)."""

    token: object
    outcome: PutOutcome

    @property
    def created(self) -> bool:
        return self.outcome == PutOutcome.CREATED

    @property
    def ignored(self) -> bool:
        return self.outcome in (PutOutcome.UNCHANGED, PutOutcome.STALE)


def now_second() -> datetime:
    """OCPI timestamps travel with second precision: store them so, or a re-read compares as a change."""
    return timezone.now().replace(microsecond=0)


def partner_parties(partner_id: int) -> set[tuple[str, str]]:
    """The (country_code, party_id) pairs a partner may write under."""
    return {
        (cc.upper(), pid.upper())
        for cc, pid in PartnerRole.objects.filter(partner_id=partner_id).values_list("country_code", "party_id")
    }


def fields_from_ocpi(data: dict) -> dict:
    """Validated Token data (``validate_token``) as model field values, every field set (a PUT replaces)."""
    return {
        "contract_id": data["contract_id"],
        "visual_number": data.get("visual_number") or "",
        "issuer": data["issuer"],
        "group_id": data.get("group_id") or "",
        "valid": data["valid"],
        "whitelist": data["whitelist"],
        "language": data.get("language") or "",
        "default_profile_type": data.get("default_profile_type") or "",
        "energy_contract": data.get("energy_contract") or None,
        "last_updated": data["last_updated"],
    }
