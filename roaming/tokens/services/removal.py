"""Full-pull removal of an eMSP partner's Tokens (``roaming.ocpi.pull``, ``PullHandler.remove_missing``).

mod_tokens.asciidoc has no DELETE: an eMSP retires a token by sending it with ``valid`` false. A token a complete
full pull of its Sender no longer returns is treated the same way, so our CSMS stops accepting a card whose update we
missed. The partner's ``last_updated`` is kept, so the token is valid again if a later pull returns it valid.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from roaming.tokens.models import Token


def token_key_of(obj) -> tuple | None:
    """A pulled Token's key, as ``tokens_remove_missing`` compares it: (COUNTRY_CODE, PARTY_ID, UID, type); the
    type defaults to RFID (mod_tokens.asciidoc: ``type`` is required, lenient readers default it)."""
    if not isinstance(obj, dict):
        return None
    parts = (obj.get("country_code"), obj.get("party_id"), obj.get("uid"))
    if not all(isinstance(p, str) and p for p in parts):
        return None
    token_type = obj.get("type") or obj.get("token_type") or "RFID"
    return (*(p.upper() for p in parts), str(token_type).upper())


def tokens_remove_missing(*, partner_id: int, seen: set, before: datetime) -> list[str]:
    """Set ``valid`` false on the partner's valid Tokens not in ``seen`` (``token_key_of`` keys of the complete
    pull) and received before ``before``. Returns ``country_code/party_id/uid/type`` of each token invalidated."""
    with transaction.atomic():
        rows = (
            Token.objects.filter(source_partner_id=partner_id, valid=True, received_at__lt=before)
            .only("pk", "country_code", "party_id", "uid", "type")
            .order_by("pk")
        )
        gone = [t for t in rows if (t.country_code, t.party_id, t.uid.upper(), t.type) not in seen]
        if gone:
            Token.objects.filter(pk__in=[t.pk for t in gone]).update(valid=False, updated_at=timezone.now())
    return [t.object_key for t in gone]
