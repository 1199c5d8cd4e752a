"""What both directions of the credentials handshake share: discovering a partner's versions and endpoints,
validating its credentials object, and storing the connection (credentials.asciidoc, "Registration")."""

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from roaming.core.exceptions import (
    EndpointsMissing,
    InvalidInput,
    PartnerUnreachable,
    VersionMismatch,
)
from roaming.ocpi import registry
from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.serializers import BusinessDetailsSerializer, is_http_url
from roaming.ocpi.status import InterfaceRole, Role
from roaming.partners.choices import PartnerStatus
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner, PartnerEndpoint, PartnerRole

logger = logging.getLogger("roaming.partners")


REQUIRED_MODULES = ("credentials",)


@dataclass
class Discovery:
    """What a partner's versions and version details told us."""

    version: str
    version_details_url: str
    endpoints: list[dict]


def _placeholder_name(versions_url: str) -> str:
    """What a partner is called until its credentials give its business name: its platform's host."""
    return (urlsplit(versions_url or "").hostname or versions_url or "")[:100]


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
