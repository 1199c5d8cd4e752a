"""The CPO side's authorization decision for our CSMS (``POST /api/v1/authorize``), following the token's
``whitelist`` (mod_tokens.asciidoc, WhitelistType):

* ``ALWAYS``: decided from the cache (valid or not);
* ``ALLOWED``: from the cache when it says valid, else real-time;
* ``ALLOWED_OFFLINE``: real-time; the cache only when the eMSP does not answer within
  ``TOKENS_REALTIME_TIMEOUT`` seconds (default 2) or errs;
* ``NEVER``: real-time only; refused when the eMSP is unreachable.

Our own eMSP's tokens (when we play both roles) are decided by ``services.authorize`` without HTTP. A token no
eMSP we roam with has given us, or whose eMSP is not (or no longer) a registered partner, is refused with the
reason. The whitelist applies whatever ``valid`` says (the spec: real-time authorization is driven by the whitelist,
even for an invalid token), so an invalid ALLOWED_OFFLINE/NEVER token is asked about in real time. Every decision
is recorded (``AuthorizationDecision``) with its latency and whether it fell back because the eMSP was unreachable.
"""

import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.core.records import record_create
from roaming.locations.selectors import own_evse_reference
from roaming.ocpi.client import OcpiClientError, join_url
from roaming.ocpi.directory import directory
from roaming.ocpi.status import InterfaceRole, OcpiStatus
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner, PartnerRole
from roaming.tokens.choices import AllowedType, DecisionSource, WhitelistType
from roaming.tokens.models import AuthorizationDecision, Token
from roaming.tokens.ocpi.serializers import validate_token
from roaming.tokens.selectors import own_party, token_find_cached, token_get_own
from roaming.tokens.services.authorize import token_authorize
from roaming.tokens.services.common import MODULE

logger = logging.getLogger("roaming.tokens")


@dataclass
class _Outcome:
    allowed: bool
    reason: str
    source: DecisionSource
    result: str = ""
    fell_back: bool = False
    reference: str = ""
    token: Token | None = None
    partner_id: int | None = None


@dataclass(frozen=True)
class _Where:
    charger_id: str
    location_id: str
    evse_uid: str


def _where(*, charger_id: str, evse_uid: str) -> _Where:
    """Our own EVSE the CSMS names by its internal charger id or its EVSE uid."""
    if not charger_id and not evse_uid:
        raise InvalidInput("name the charger: charger_id or evse_uid", field="charger_id")
    row = own_evse_reference(charger_id=charger_id, evse_uid=evse_uid)
    if row is None:
        raise ObjectNotFound(
            f"No charger with internal id '{charger_id}'." if charger_id else f"No EVSE with uid '{evse_uid}'."
        )
    return _Where(charger_id=row[0], location_id=row[1], evse_uid=row[2])


def _realtime(partner_id: int, token_uid: str, token_type: str, where: _Where) -> dict | None:
    """POST the eMSP's ``{tokens}/{uid}/authorize?type=``; return its AuthorizationInfo, or None when it does not
    know the token (404 / 2004). Raises ``OcpiClientError`` when it does not answer in time or errs."""
    base = directory().endpoint_url(partner_id, MODULE, InterfaceRole.SENDER)
    if not base:
        raise OcpiClientError("the eMSP publishes no tokens SENDER endpoint for real-time authorization")
    client = PartnerClient(
        Partner.objects.get(pk=partner_id), timeout=settings.TOKENS_REALTIME_TIMEOUT, retries=0, backoff=0
    )
    url = join_url(base, quote(token_uid, safe=""), "authorize") + f"?type={token_type}"
    body = {"location_id": where.location_id, "evse_uids": [where.evse_uid]}
    try:
        result = client.request("POST", url, json=body, module=MODULE)
    except OcpiClientError as exc:
        if exc.http_status == 404 or exc.ocpi_status == OcpiStatus.UNKNOWN_TOKEN:
            return None
        raise
    if not isinstance(result.data, dict) or result.data.get("allowed") not in AllowedType.values:
        raise OcpiClientError("the eMSP answered without a valid AuthorizationInfo")
    return result.data


def _from_info(info: dict, where: _Where, emsp: str) -> _Outcome:
    allowed = info["allowed"]
    reference = str(info.get("authorization_reference") or "")[:36]
    if allowed != AllowedType.ALLOWED:
        return _Outcome(False, f"{emsp} answered {allowed}", DecisionSource.REALTIME, allowed, reference=reference)
    location = info.get("location")
    if isinstance(location, dict) and location.get("evse_uids"):
        allowed_uids = {str(uid).upper() for uid in location["evse_uids"]}
        if where.evse_uid.upper() not in allowed_uids:
            return _Outcome(
                False, f"{emsp} allows this token only at other EVSEs", DecisionSource.REALTIME, "NOT_ALLOWED"
            )
    return _Outcome(True, f"{emsp} answered ALLOWED", DecisionSource.REALTIME, allowed, reference=reference)


def _refresh_cache(partner_id: int, info: dict) -> None:
    """The AuthorizationInfo carries the whole Token: keep the cache as fresh as the answer (ignored if older)."""
    from roaming.tokens.services.receive import token_put_from_partner

    try:
        token_put_from_partner(partner_id=partner_id, data=validate_token(info.get("token")), raw=info.get("token"))
    except Exception as exc:  # a sloppy Token in an otherwise good answer must not undo the decision
        logger.info("token in AuthorizationInfo not cached: %s", exc)


def _cache_decision(token: Token, label: str) -> _Outcome:
    if token.valid:
        return _Outcome(True, f"cache: valid ({label})", DecisionSource.CACHE, AllowedType.ALLOWED)
    return _Outcome(False, f"cache: blocked ({label})", DecisionSource.CACHE, AllowedType.BLOCKED)


def _decide_partner(token: Token | None, partner_id: int, uid: str, type_: str, where: _Where, emsp: str) -> _Outcome:
    whitelist = token.whitelist if token is not None else WhitelistType.NEVER
    if token is not None and (
        whitelist == WhitelistType.ALWAYS or (whitelist == WhitelistType.ALLOWED and token.valid)
    ):
        return _cache_decision(token, f"whitelist {whitelist}")
    try:
        info = _realtime(partner_id, uid, type_, where)
    except OcpiClientError as exc:
        why = f"{emsp} unreachable ({exc.message[:200]})"
        if whitelist == WhitelistType.ALLOWED_OFFLINE and token is not None:
            outcome = _cache_decision(token, f"whitelist ALLOWED_OFFLINE, {why}")
            outcome.source, outcome.fell_back = DecisionSource.FALLBACK_CACHE, True
            return outcome
        return _Outcome(False, f"whitelist {whitelist}: {why}", DecisionSource.FALLBACK_REFUSED, fell_back=True)
    if info is None:
        return _Outcome(False, f"{emsp} does not know this token", DecisionSource.REALTIME)
    _refresh_cache(partner_id, info)
    return _from_info(info, where, emsp)


def _emsp_partner(country_code: str, party_id: str) -> int | None:
    role = PartnerRole.objects.filter(country_code=country_code.upper(), party_id=party_id.upper(), role="EMSP")
    return role.values_list("partner_id", flat=True).first()


def _decide(*, uid: str, type_: str, where: _Where, country_code: str, party_id: str) -> _Outcome:
    own_cc, own_pid = own_party()
    asks_own = not country_code or (country_code.upper(), party_id.upper()) == (own_cc, own_pid)
    if "EMSP" in settings.OCPI_ROLES and asks_own:
        own = token_get_own(uid=uid, type=type_)
        if own is not None:
            location = {"location_id": where.location_id, "evse_uids": [where.evse_uid]}
            result = token_authorize(token=own, location=location)
            allowed = result.allowed == AllowedType.ALLOWED
            return _Outcome(
                allowed,
                f"our own eMSP: {result.allowed}" + (f" ({result.info})" if result.info and not allowed else ""),
                DecisionSource.OWN,
                result.allowed,
                reference=result.authorization_reference,
                token=own,
            )
        if country_code:
            return _Outcome(False, "unknown token: our own eMSP has no such token", DecisionSource.REFUSED)
    token = token_find_cached(uid=uid, type=type_, country_code=country_code, party_id=party_id)
    if token is not None:
        partner_id = token.source_partner_id
        cc, pid = token.country_code, token.party_id
    elif country_code and party_id:
        partner_id, cc, pid = _emsp_partner(country_code, party_id), country_code.upper(), party_id.upper()
        if partner_id is None:
            return _Outcome(False, f"we do not roam with eMSP {cc}/{pid}", DecisionSource.REFUSED)
    else:
        return _Outcome(False, "unknown token: no eMSP we roam with has sent it", DecisionSource.REFUSED)
    emsp = f"eMSP {cc}/{pid}"
    if directory().state(partner_id) != "active":
        outcome = _Outcome(False, f"we do not (or no longer) roam with {emsp}", DecisionSource.REFUSED)
    else:
        outcome = _decide_partner(token, partner_id, uid, type_, where, emsp)
    outcome.token = outcome.token or token
    outcome.partner_id = partner_id
    return outcome


def authorization_decide(
    *,
    uid: str,
    type: str = "RFID",
    charger_id: str = "",
    evse_uid: str = "",
    country_code: str = "",
    party_id: str = "",
) -> AuthorizationDecision:
    """Decide whether the token ``(uid, type)`` a charger read may charge at our charger (``charger_id``, its CSMS
    id, or ``evse_uid``), record the decision and return it. ``country_code``/``party_id`` optionally name the
    owning eMSP (e.g. from the contract id) so a token not yet in the cache can be authorized in real time.
    Raises ``ObjectNotFound`` for an unknown charger and ``InvalidInput`` when no charger is named."""
    started = time.monotonic()
    where = _where(charger_id=charger_id, evse_uid=evse_uid)
    outcome = _decide(uid=uid, type_=type, where=where, country_code=country_code, party_id=party_id)
    token = outcome.token
    if token is not None:
        cc, pid = token.country_code, token.party_id
    elif country_code:
        cc, pid = country_code.upper()[:2], party_id.upper()[:3]
    else:
        cc, pid = "", ""
    decision = record_create(
        AuthorizationDecision,
        token_uid=uid[:36],
        token_type=type,
        token=token,
        partner_id=outcome.partner_id,
        emsp_country_code=cc,
        emsp_party_id=pid,
        charger_id=where.charger_id,
        location_id=where.location_id,
        evse_uid=where.evse_uid,
        allowed=outcome.allowed,
        result=outcome.result,
        source=outcome.source,
        fell_back=outcome.fell_back,
        reason=outcome.reason[:512],
        authorization_reference=outcome.reference,
        latency_ms=int((time.monotonic() - started) * 1000),
    )
    level = logging.WARNING if outcome.fell_back else logging.INFO
    logger.log(level, "authorization of %s (%s) at %s: %s", uid, type, where.evse_uid, decision.reason)
    return decision
