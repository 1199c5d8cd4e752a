"""Invitations and the tokens we issue to partners (credentials.asciidoc, "Registration": token A)."""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from roaming.core import crypto
from roaming.core.exceptions import (
    InvalidInput,
    StateConflict,
)
from roaming.ocpi import registry
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import Partner, PartnerEvent, PartnerToken

logger = logging.getLogger("roaming.partners")


def partner_event(partner: Partner, action: str, message: str, *, success: bool = True) -> PartnerEvent:
    log = logger.info if success else logger.warning
    log("partner %s: %s: %s", partner.pk, action, message)
    return PartnerEvent.objects.create(partner=partner, action=action, message=message, success=success)


def _issue_token(partner: Partner, kind: str) -> str:
    token = crypto.generate_token()
    PartnerToken.objects.create(partner=partner, kind=kind, digest=crypto.token_digest(token), hint=token[:4])
    return token


def _live_tokens(partner: Partner):
    """Tokens not revoked, including those in a rotation grace period (revocation set in the future)."""
    return PartnerToken.objects.filter(partner=partner).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=timezone.now())
    )


def _revoke_tokens(partner: Partner, *, kind: str | None = None, keep: str | None = None) -> int:
    tokens = _live_tokens(partner)
    if kind:
        tokens = tokens.filter(kind=kind)
    if keep:
        tokens = tokens.exclude(digest=crypto.token_digest(keep))
    return tokens.update(revoked_at=timezone.now())


def our_credentials(token: str) -> dict:
    """Our Credentials object (credentials.asciidoc, Credentials object) carrying ``token``."""
    return {"token": token, "url": registry.versions_url(), "roles": registry.own_roles()}


def partner_invite(*, name: str, website: str = "") -> tuple[Partner, str]:
    """Create an invited partner and its one-time registration token A (shown once, stored hashed)."""
    if not name.strip():
        raise InvalidInput("a business name is required", field="name")
    with transaction.atomic():
        partner = Partner.objects.create(name=name.strip(), website=website, status=PartnerStatus.INVITED)
        token = _issue_token(partner, TokenKind.REGISTRATION)
        partner_event(partner, "invite", f"Invitation created; token A {token[:4]}… issued")
    return partner, token


def partner_reissue_invitation(*, partner: Partner) -> str:
    """Revoke the partner's unused token A and issue a new one (the old one leaked or was lost)."""
    if partner.status != PartnerStatus.INVITED:
        raise StateConflict("only an invited partner has a registration token")
    with transaction.atomic():
        _revoke_tokens(partner, kind=TokenKind.REGISTRATION)
        token = _issue_token(partner, TokenKind.REGISTRATION)
        partner_event(partner, "invite", f"New token A {token[:4]}… issued, the previous one revoked")
    return token
