"""Partner onboarding: invitations, the credentials handshake both ways, rotation, unregistering
(credentials.asciidoc, "Registration" and "Credentials endpoint").

Network calls never run inside a database transaction, and a failed handshake writes nothing but an event: the
partner stays in the state it was in before.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from roaming.core import crypto
from roaming.core.exceptions import (
    EndpointsMissing,
    InvalidInput,
    PartnerUnreachable,
    StateConflict,
    VersionMismatch,
)
from roaming.ocpi import registry
from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.serializers import BusinessDetailsSerializer, is_http_url
from roaming.ocpi.status import InterfaceRole, Role
from roaming.partners.choices import Initiator, PartnerStatus, TokenEncoding, TokenKind
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner, PartnerEndpoint, PartnerEvent, PartnerRole, PartnerToken

logger = logging.getLogger("roaming.partners")

# Modules a peer must publish for us to register with it (3003 otherwise). Every OCPI party implements credentials.
REQUIRED_MODULES = ("credentials",)


@dataclass
class Discovery:
    """What a partner's versions and version details told us."""

    version: str
    version_details_url: str
    endpoints: list[dict]


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


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def partner_discover(*, partner: Partner, versions_url: str, token: str) -> Discovery:
    """GET the peer's versions and version details with ``token``; pick the highest mutual version.

    Raises ``PartnerUnreachable`` (3001), ``VersionMismatch`` (3002) or ``EndpointsMissing`` (3003).
    """
    client = PartnerClient(partner, token=token, retries=1)
    try:
        versions = client.get(versions_url, module="versions").data
    except OcpiClientError as exc:
        raise PartnerUnreachable(f"could not read the partner's versions: {exc.message}")
    if isinstance(versions, dict):  # lenient: a single object not wrapped in a list
        versions = [versions]
    offered = {str(v.get("version")): v.get("url") for v in versions or [] if isinstance(v, dict) and v.get("url")}
    mutual = sorted(set(offered) & set(registry.SUPPORTED_VERSIONS), key=_version_key, reverse=True)
    if not mutual:
        raise VersionMismatch(
            f"no mutual OCPI version: the partner offers {sorted(offered) or 'none'}, "
            f"we support {list(registry.SUPPORTED_VERSIONS)}"
        )
    version = mutual[0]
    details_url = offered[version]
    try:
        details = client.get(details_url, module="versions").object
    except OcpiClientError as exc:
        raise PartnerUnreachable(f"could not read the partner's version details: {exc.message}")
    raw_endpoints = (details or {}).get("endpoints") if isinstance(details, dict) else None
    endpoints = []
    for item in raw_endpoints or []:
        if not isinstance(item, dict) or not item.get("identifier") or not item.get("url"):
            continue
        role = str(item.get("role") or InterfaceRole.SENDER).upper()
        if role not in InterfaceRole.values:
            continue
        endpoints.append({"identifier": str(item["identifier"]), "role": role, "url": str(item["url"])})
    missing = [m for m in REQUIRED_MODULES if m not in {e["identifier"] for e in endpoints}]
    if missing:
        raise EndpointsMissing(f"the partner's {version} version details lack: {', '.join(missing)}")
    return Discovery(version=version, version_details_url=details_url, endpoints=endpoints)


def _validate_credentials(data, *, field_prefix: str = "") -> dict:
    """Check a Credentials object's shape (credentials.asciidoc); return it normalised."""
    if not isinstance(data, dict):
        raise InvalidInput("a Credentials object is required", field=field_prefix or "body")
    token, url, roles = data.get("token"), data.get("url"), data.get("roles")
    if not isinstance(token, str) or not token or len(token) > 64 or any(not 0x21 <= ord(c) <= 0x7E for c in token):
        raise InvalidInput("a string(64) of printable non-whitespace ASCII is required", field=f"{field_prefix}token")
    if not isinstance(url, str) or not is_http_url(url) or len(url) > 255:
        raise InvalidInput(
            "the versions URL (http/https, at most 255 characters) is required", field=f"{field_prefix}url"
        )
    if isinstance(roles, dict):
        roles = [roles]
    if not isinstance(roles, list) or not roles:
        raise InvalidInput("at least one CredentialsRole is required", field=f"{field_prefix}roles")
    clean, seen = [], set()
    for index, role in enumerate(roles):
        where = f"{field_prefix}roles[{index}]"
        if not isinstance(role, dict):
            raise InvalidInput("a CredentialsRole object is required", field=where)
        value = str(role.get("role") or "").upper()
        if value not in Role.values:
            raise InvalidInput(f"'{role.get('role')}' is not one of {', '.join(Role.values)}", field=f"{where}.role")
        cc, pid = str(role.get("country_code") or ""), str(role.get("party_id") or "")
        if len(cc) != 2 or not cc.isascii() or not cc.isalpha():
            raise InvalidInput("a 2-letter ISO 3166-1 country code is required", field=f"{where}.country_code")
        if not 1 <= len(pid) <= 3 or not pid.isascii() or not pid.isalnum():
            raise InvalidInput("a party id of up to 3 letters or digits is required", field=f"{where}.party_id")
        business = _validate_business_details(role.get("business_details"), where=f"{where}.business_details")
        key = (cc.upper(), pid.upper(), value)
        if key in seen:
            raise InvalidInput(f"{cc}/{pid} {value} is listed twice", field=where)
        seen.add(key)
        clean.append(
            {
                "role": value,
                "country_code": cc.upper(),
                "party_id": pid.upper(),
                "business_name": business["name"],
                "business_website": business.get("website") or "",
                "business_logo": business.get("logo"),
            }
        )
    return {"token": token, "url": url, "roles": clean}


def _validate_business_details(data, *, where: str) -> dict:
    """BusinessDetails (mod_locations.asciidoc, "Data types"): name string(100), website URL, logo Image."""
    if not isinstance(data, dict) or not str(data.get("name") or "").strip():
        raise InvalidInput("business_details.name is required", field=f"{where}.name")
    serializer = BusinessDetailsSerializer(data=data)
    if not serializer.is_valid():
        raise InvalidInput("; ".join(flatten_errors(serializer.errors, where)))
    return serializer.validated_data


def _check_roles_free(partner: Partner, roles: list[dict]) -> None:
    """Refuse a role whose country_code/party_id is ours or another live partner's, in any role
    (credentials.asciidoc, CredentialsRole: the combination of country_code and party_id should be unique): it would
    let one partner act for another's party. The refusal names the conflicting role."""
    ours: dict[tuple[str, str], list[str]] = {(settings.OCPI_COUNTRY_CODE.upper(), settings.OCPI_PARTY_ID.upper()): []}
    for own in registry.own_roles():
        ours.setdefault((own["country_code"].upper(), own["party_id"].upper()), []).append(own["role"])
    for index, role in enumerate(roles):
        party = (role["country_code"], role["party_id"])
        if party in ours:
            raise InvalidInput(
                f"{party[0]}/{party[1]} is our own party ({', '.join(ours[party]) or 'platform'}); a partner cannot "
                "register it",
                field=f"roles[{index}]",
            )
        taken = (
            PartnerRole.objects.filter(country_code__iexact=party[0], party_id__iexact=party[1])
            .exclude(partner=partner)
            .exclude(partner__status=PartnerStatus.UNREGISTERED)
            .order_by("pk")
            .first()
        )
        if taken:
            raise InvalidInput(
                f"{party[0]}/{party[1]} is already registered by another partner as {taken.role}",
                field=f"roles[{index}]",
            )


def _store_connection(partner: Partner, *, credentials: dict, discovery: Discovery | None) -> None:
    partner.their_token = credentials["token"]
    partner.versions_url = credentials["url"]
    if discovery is not None:
        partner.version = discovery.version
        PartnerEndpoint.objects.filter(partner=partner).delete()
        PartnerEndpoint.objects.bulk_create(PartnerEndpoint(partner=partner, **e) for e in discovery.endpoints)
    PartnerRole.objects.filter(partner=partner).delete()
    PartnerRole.objects.bulk_create(PartnerRole(partner=partner, **r) for r in credentials["roles"])
    if not partner.website:
        partner.website = next((r["business_website"] for r in credentials["roles"] if r["business_website"]), "")
    if not partner.name or partner.name == _placeholder_name(partner.versions_url):
        partner.name = credentials["roles"][0]["business_name"]


# --- The partner registers with us (we receive POST/PUT/DELETE on our credentials endpoint) ----------------------


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


def _placeholder_name(versions_url: str) -> str:
    """What a partner is called until its credentials give its business name: its platform's host."""
    return (urlsplit(versions_url or "").hostname or versions_url or "")[:100]


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


def partner_suspend(*, partner: Partner) -> None:
    """Cut a registered partner off locally (401 on every call, no pushes) without telling it."""
    if partner.status != PartnerStatus.REGISTERED:
        raise StateConflict("only a registered partner can be suspended")
    Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.SUSPENDED)
    partner_event(partner, "suspend", "Suspended by staff: its tokens answer 401, nothing is pushed")


def partner_reactivate(*, partner: Partner) -> None:
    if partner.status != PartnerStatus.SUSPENDED:
        raise StateConflict("only a suspended partner can be reactivated")
    Partner.objects.filter(pk=partner.pk).update(status=PartnerStatus.REGISTERED)
    partner_event(partner, "reactivate", "Reactivated by staff")


def partner_schedule_pull(*, partner: Partner, module: str, every_minutes: int = 60) -> bool:
    """Create or update the django-celery-beat schedule pulling ``module`` from ``partner``; ops edit it in the
    admin afterwards. Returns True when the schedule was created."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if not partner.endpoints.filter(identifier=module, role=InterfaceRole.SENDER).exists():
        raise InvalidInput(f"{partner} publishes no {module} SENDER endpoint", field="module")
    interval, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period=IntervalSchedule.MINUTES)
    _, created = PeriodicTask.objects.update_or_create(
        name=f"Pull {module} from {partner.name} (#{partner.pk})",
        defaults={
            "task": "ocpi.sync_pull",
            "interval": interval,
            "args": f"[{partner.pk}, {module!r}]".replace("'", '"'),
            "enabled": True,
        },
    )
    partner_event(partner, "schedule", f"{module} pulled every {every_minutes} minutes")
    return created
