"""Us calling a partner's credentials endpoint: registering, rotating, refreshing endpoints, unregistering
(credentials.asciidoc, "Registration", "Credentials endpoint" Sender side).

Network calls never run inside a database transaction, and a failed handshake writes nothing but an event: the
partner stays in the state it was in before.
"""

import logging

from django.db import transaction
from django.utils import timezone

from roaming.core import crypto
from roaming.core.exceptions import (
    EndpointsMissing,
    InvalidInput,
    PartnerUnreachable,
    StateConflict,
    VersionMismatch,
)
from roaming.ocpi.client import OcpiClientError
from roaming.partners.choices import Initiator, PartnerStatus, TokenEncoding, TokenKind
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner, PartnerEndpoint, PartnerToken
from roaming.partners.services.handshake import (
    _check_roles_free,
    _placeholder_name,
    _store_connection,
    _validate_credentials,
    partner_discover,
)
from roaming.partners.services.onboarding import (
    _issue_token,
    _revoke_tokens,
    our_credentials,
    partner_event,
)

logger = logging.getLogger("roaming.partners")


def partner_create_outbound(*, versions_url: str, token: str, name: str = "", token_encoding: str = "") -> Partner:
    """Record a partner we will register with: its versions URL and the token A it gave us."""
    versions_url = versions_url.strip()
    if not versions_url.startswith(("http://", "https://")):
        raise InvalidInput("a http(s) versions URL is required", field="versions_url")
    if not token.strip():
        raise InvalidInput("the partner's registration token is required", field="token")
    partner = Partner(
        name=name.strip() or _placeholder_name(versions_url),
        versions_url=versions_url,
        status=PartnerStatus.REGISTERING,
        initiated_by=Initiator.US,
        token_encoding=token_encoding or TokenEncoding.BASE64,
    )
    partner.their_token = token.strip()
    partner.save()
    partner_event(partner, "create", f"Partner recorded with versions URL {versions_url}")
    return partner


def partner_register_outbound(*, partner: Partner) -> Partner:
    """Run the handshake as the initiating party (credentials.asciidoc, steps 2-7).

    GET its versions/details with its token A, POST our credentials with a fresh token B, store the token C and roles
    it returns. On failure token B is revoked and the partner keeps its previous state.
    """
    if partner.status == PartnerStatus.REGISTERED:
        raise StateConflict("already registered: rotate credentials instead")
    token_a = partner.their_token
    if not token_a or not partner.versions_url:
        raise InvalidInput("the partner's versions URL and token are required", field="versions_url")
    previous_status = partner.status
    try:
        discovery = partner_discover(partner=partner, versions_url=partner.versions_url, token=token_a)
    except (PartnerUnreachable, VersionMismatch, EndpointsMissing) as exc:
        _register_failed(partner, f"Discovery failed: {exc.message}")
        raise
    credentials_url = next(e["url"] for e in discovery.endpoints if e["identifier"] == "credentials")
    with transaction.atomic():
        # Token B must answer the partner's GETs on our versions while our POST is in flight.
        Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.REGISTERING)
        partner.status = PartnerStatus.REGISTERING
        _revoke_tokens(partner)
        token_b = _issue_token(partner, TokenKind.ACCESS)
    client = PartnerClient(partner, token=token_a, retries=0)
    try:
        result = client.post(credentials_url, our_credentials(token_b), module="credentials")
        credentials = _validate_credentials(result.object)
        _check_roles_free(partner, credentials["roles"])
    except (OcpiClientError, InvalidInput) as exc:
        with transaction.atomic():
            _revoke_tokens(partner)
            Partner.objects.filter(pk=partner.pk).update(status=previous_status)
        partner.status = previous_status
        _register_failed(partner, f"POST credentials to {credentials_url} failed: {exc}")
        raise PartnerUnreachable(f"POST credentials failed: {exc}")
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        credentials["url"] = credentials["url"] or partner.versions_url
        _store_connection(partner, credentials=credentials, discovery=discovery)
        partner.status = PartnerStatus.REGISTERED
        partner.initiated_by = Initiator.US
        partner.registered_at = timezone.now()
        partner.last_error = ""
        partner.save()
        partner_event(
            partner,
            "register",
            f"Registered with the partner on OCPI {discovery.version}; token B {token_b[:4]}… issued, token C received",
        )
    return partner


def _register_failed(partner: Partner, message: str) -> None:
    Partner.objects.filter(pk=partner.pk).update(last_error=message[:2000], last_failure_at=timezone.now())
    partner_event(partner, "register", message, success=False)


def _partner_credentials_url(partner: Partner) -> str:
    endpoint = partner.endpoints.filter(identifier="credentials").first()
    if endpoint is None:
        raise EndpointsMissing("the partner published no credentials endpoint")
    return endpoint.url


def partner_rotate_credentials(*, partner: Partner) -> Partner:
    """PUT new credentials to the partner (credentials.asciidoc, updating): new token B from us, new token C from
    it. Until the partner confirms, the old token B keeps working; on failure the new one is revoked."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("only a registered partner's credentials can be rotated")
    credentials_url = _partner_credentials_url(partner)
    new_token = _issue_token(partner, TokenKind.ACCESS)
    try:
        result = PartnerClient(partner, retries=0).put(
            credentials_url, our_credentials(new_token), module="credentials"
        )
        credentials = _validate_credentials(result.object)
        _check_roles_free(partner, credentials["roles"])
    except (OcpiClientError, InvalidInput) as exc:
        PartnerToken.objects.filter(digest=crypto.token_digest(new_token)).update(revoked_at=timezone.now())
        partner_event(partner, "rotate", f"Credentials rotation failed: {exc}", success=False)
        raise PartnerUnreachable(f"PUT credentials failed: {exc}")
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        _store_connection(partner, credentials=credentials, discovery=None)
        partner.save()
        _revoke_tokens(partner, keep=new_token)
        partner_event(
            partner, "rotate", f"Credentials rotated; new token B {new_token[:4]}… issued, new token C stored"
        )
    return partner


def partner_refresh_endpoints(*, partner: Partner) -> Partner:
    """Re-read the partner's versions and version details with its current token (e.g. after it added modules)."""
    discovery = partner_discover(partner=partner, versions_url=partner.versions_url, token=partner.their_token)
    with transaction.atomic():
        partner.version = discovery.version
        partner.save(update_fields=["version", "updated_at"])
        PartnerEndpoint.objects.filter(partner=partner).delete()
        PartnerEndpoint.objects.bulk_create(PartnerEndpoint(partner=partner, **e) for e in discovery.endpoints)
        partner_event(partner, "discover", f"Endpoints refreshed: {len(discovery.endpoints)} on {discovery.version}")
    return partner


def partner_unregister(*, partner: Partner) -> Partner:
    """DELETE our credentials at the partner, then stop all traffic: both sides forget the connection."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("only a registered partner can be unregistered")
    credentials_url = _partner_credentials_url(partner)
    try:
        PartnerClient(partner, retries=0).delete(credentials_url, module="credentials")
    except OcpiClientError as exc:
        # 405: the partner already considers us unregistered; that is the state we want.
        if exc.http_status != 405:
            partner_event(partner, "unregister", f"DELETE credentials failed: {exc}", success=False)
            raise PartnerUnreachable(f"DELETE credentials failed: {exc}")
    with transaction.atomic():
        _revoke_tokens(partner)
        Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.UNREGISTERED, their_token_encrypted="")
        partner_event(partner, "unregister", "Unregistered at the partner; all tokens revoked")
    partner.refresh_from_db()
    return partner
