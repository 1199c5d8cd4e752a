"""A partner calling our credentials endpoint: POST registers, PUT updates, DELETE unregisters
(credentials.asciidoc, "Interfaces and endpoints", Receiver side)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.core.exceptions import (
    EndpointsMissing,
    PartnerUnreachable,
    StateConflict,
    VersionMismatch,
)
from roaming.partners.choices import Initiator, PartnerStatus, TokenKind
from roaming.partners.models import Partner
from roaming.partners.services.handshake import (
    _check_roles_free,
    _store_connection,
    _validate_credentials,
    partner_discover,
)
from roaming.partners.services.onboarding import (
    _issue_token,
    _live_tokens,
    _revoke_tokens,
    our_credentials,
    partner_event,
)

logger = logging.getLogger("roaming.partners")


def credentials_register_inbound(*, partner: Partner, data) -> dict:
    """Handle ``POST /credentials`` from a partner holding token A (credentials.asciidoc, registration).

    We GET its versions and details with its token B, store everything, issue token C, revoke token A and return
    our credentials. Any failure leaves the partner as it was.
    """
    if partner.status == PartnerStatus.REGISTERED:
        raise StateConflict("already registered: use PUT to update credentials, or DELETE to unregister")
    credentials = _validate_credentials(data)
    _check_roles_free(partner, credentials["roles"])
    try:
        discovery = partner_discover(partner=partner, versions_url=credentials["url"], token=credentials["token"])
    except (PartnerUnreachable, VersionMismatch, EndpointsMissing) as exc:
        partner_event(partner, "register", f"Registration refused: {exc.message}", success=False)
        raise
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.status == PartnerStatus.REGISTERED:  # a concurrent POST won the race
            raise StateConflict("already registered")
        _store_connection(partner, credentials=credentials, discovery=discovery)
        partner.status = PartnerStatus.REGISTERED
        partner.initiated_by = Initiator.THEM
        partner.registered_at = timezone.now()
        partner.save()
        _revoke_tokens(partner)  # token A dies; so would any earlier access token
        token_c = _issue_token(partner, TokenKind.ACCESS)
        partner_event(
            partner,
            "register",
            f"Registered by the partner on OCPI {discovery.version}; token C {token_c[:4]}… issued, token A revoked",
        )
    return our_credentials(token_c)


def credentials_update_inbound(*, partner: Partner, data) -> dict:
    """Handle ``PUT /credentials``: new token/URL/roles, endpoints re-discovered, a new token C issued."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("not registered: use POST to register")
    credentials = _validate_credentials(data)
    _check_roles_free(partner, credentials["roles"])
    try:
        discovery = partner_discover(partner=partner, versions_url=credentials["url"], token=credentials["token"])
    except (PartnerUnreachable, VersionMismatch, EndpointsMissing) as exc:
        partner_event(partner, "update", f"Credentials update refused: {exc.message}", success=False)
        raise
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        _store_connection(partner, credentials=credentials, discovery=discovery)
        partner.save()
        # A lost reply must not lock the partner out: the previous token C keeps working until the partner first
        # uses the new one (the credentials backend then revokes it) or the grace period ends.
        grace = timedelta(seconds=settings.OCPI_CREDENTIALS_ROTATION_GRACE_SECONDS)
        _live_tokens(partner).update(revoked_at=timezone.now() + grace)
        token_c = _issue_token(partner, TokenKind.ACCESS)
        partner_event(
            partner,
            "update",
            f"Credentials updated by the partner; new token C {token_c[:4]}… issued, the previous one valid until "
            f"first use of the new one or {grace.total_seconds():.0f} s",
        )
    return our_credentials(token_c)


def credentials_delete_inbound(*, partner: Partner) -> None:
    """Handle ``DELETE /credentials``: the partner unregisters; all its tokens die."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("not registered")
    with transaction.atomic():
        _revoke_tokens(partner)
        Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.UNREGISTERED, their_token_encrypted="")
        partner_event(partner, "unregister", "The partner unregistered (DELETE credentials)")


# --- We register with the partner -------------------------------------------------------------------------------
