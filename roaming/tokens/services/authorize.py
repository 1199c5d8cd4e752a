"""Our eMSP's real-time authorization (mod_tokens.asciidoc, Sender "POST Method" and AuthorizationInfo object).

A CPO asks ``POST {tokens}/{uid}/authorize[?type=]`` with optional LocationReferences; we answer with an
AuthorizationInfo: ``allowed`` (ALLOWED / BLOCKED / EXPIRED / NO_CREDIT / NOT_ALLOWED), the whole Token, the
EVSEs the driver may use when a location was named, and an ``authorization_reference`` the CPO copies into the
Session and CDR that follow (kept here as an ``IssuedAuthorization``). An unknown token is the caller's 404/2004.

**The extension hook.** The decision is made by a chain of *rules*, named by dotted path in the setting
``TOKENS_AUTHORIZATION_RULES`` (default: ``["roaming.tokens.services.authorize.rule_token_valid"]``). A rule is a
callable ``rule(request: AuthorizationRequest) -> Verdict | None``:

* ``None``: no objection, ask the next rule;
* a ``Verdict`` that is not ALLOWED: the answer (the first one wins), e.g. ``Verdict(AllowedType.NO_CREDIT,
  info="Top up your balance in the app")`` from a credit check, NOT_ALLOWED from "contract suspended" or "this
  location is not in the driver's plan", EXPIRED from a contract end date;
* an ALLOWED ``Verdict`` with ``evse_uids``: allowed, but only at those EVSEs (intersected across rules).

When every rule lets it pass, the answer is ALLOWED. Rules run inside the request, so they must be quick (the spec:
"keep delays ... to an absolute minimum") and must not judge opening hours or EVSE status (the spec forbids it).
A rule that raises is logged and treated as NOT_ALLOWED: a driver is never let through by a broken check.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from roaming.core.records import record_create
from roaming.tokens.choices import AllowedType
from roaming.tokens.models import IssuedAuthorization, Token
from roaming.tokens.ocpi.render import token_to_ocpi

logger = logging.getLogger("roaming.tokens")

DEFAULT_RULES = ("roaming.tokens.services.authorize.rule_token_valid",)


@dataclass(frozen=True)
class AuthorizationRequest:
    """What a rule sees: the token (our own), the LocationReferences asked for (or None) and the CPO partner that
    asks (None when our own CPO side asks without HTTP)."""

    token: Token
    location_id: str | None = None
    evse_uids: tuple[str, ...] = ()
    partner_id: int | None = None


@dataclass(frozen=True)
class Verdict:
    """A rule's answer: ``allowed``, an optional text for the driver, and (ALLOWED only) the EVSEs allowed."""

    allowed: AllowedType
    info: str = ""
    evse_uids: tuple[str, ...] | None = None


@dataclass
class AuthorizationResult:
    """The AuthorizationInfo we answered, and the record kept under its reference."""

    allowed: AllowedType
    token: Token
    authorization_reference: str
    location_id: str | None = None
    evse_uids: list[str] = field(default_factory=list)
    info: str = ""

    def to_ocpi(self) -> dict:
        """AuthorizationInfo object (mod_tokens.asciidoc)."""
        data: dict = {"allowed": self.allowed.value, "token": token_to_ocpi(self.token)}
        if self.location_id and self.allowed == AllowedType.ALLOWED:
            # "Only the EVSEs/Connectors the EV driver is allowed to charge at are returned."
            data["location"] = {"location_id": self.location_id, "evse_uids": self.evse_uids}
        data["authorization_reference"] = self.authorization_reference
        if self.info:
            data["info"] = {"language": "en", "text": self.info[:512]}
        return data


def rule_token_valid(request: AuthorizationRequest) -> Verdict | None:
    """The built-in rule: a blocked token (``valid=false``) is BLOCKED."""
    if not request.token.valid:
        return Verdict(AllowedType.BLOCKED, info="This card is blocked. Please contact your provider.")
    return None


@cache
def _load_rules(paths: tuple[str, ...]) -> tuple[Callable[[AuthorizationRequest], Verdict | None], ...]:
    return tuple(import_string(path) for path in paths)


def authorization_rules() -> tuple[Callable[[AuthorizationRequest], Verdict | None], ...]:
    """The rule chain named by ``settings.TOKENS_AUTHORIZATION_RULES`` (imported once per distinct setting)."""
    return _load_rules(tuple(getattr(settings, "TOKENS_AUTHORIZATION_RULES", DEFAULT_RULES)))


def _verdict(request: AuthorizationRequest) -> Verdict:
    allowed_evses: set[str] | None = None
    info = ""
    for rule in authorization_rules():
        try:
            verdict = rule(request)
        except Exception:
            logger.exception("authorization rule %r failed for token %s", rule, request.token.pk)
            return Verdict(AllowedType.NOT_ALLOWED, info="Authorization is not possible right now.")
        if verdict is None:
            continue
        if verdict.allowed != AllowedType.ALLOWED:
            return verdict
        info = verdict.info or info
        if verdict.evse_uids is not None:
            wanted = {uid.upper() for uid in verdict.evse_uids}
            allowed_evses = wanted if allowed_evses is None else allowed_evses & wanted
    evse_uids = tuple(allowed_evses) if allowed_evses is not None else None
    return Verdict(AllowedType.ALLOWED, info=info, evse_uids=evse_uids)


def token_authorize(
    *, token: Token, location: dict | None = None, partner_id: int | None = None
) -> AuthorizationResult:
    """Decide a real-time authorization of our ``token`` (mod_tokens.asciidoc, POST Method) with the rule chain,
    record it under a new ``authorization_reference`` and return the AuthorizationInfo to answer.

    ``location`` is validated LocationReferences (``location_id``, optional ``evse_uids``). When a rule limits the
    EVSEs and none of those asked for remains, the answer is NOT_ALLOWED.
    """
    location_id = (location or {}).get("location_id")
    asked = tuple((location or {}).get("evse_uids") or ())
    request = AuthorizationRequest(token=token, location_id=location_id, evse_uids=asked, partner_id=partner_id)
    verdict = _verdict(request)
    allowed, info = verdict.allowed, verdict.info
    evse_uids = list(asked)
    if allowed == AllowedType.ALLOWED and verdict.evse_uids is not None:
        allowed_set = set(verdict.evse_uids)
        evse_uids = [uid for uid in asked if uid.upper() in allowed_set] if asked else sorted(verdict.evse_uids)
        if asked and not evse_uids:
            allowed, info = AllowedType.NOT_ALLOWED, info or "Your plan does not include these chargers."
    reference = uuid.uuid4().hex
    record_create(
        IssuedAuthorization,
        authorization_reference=reference,
        token=token,
        allowed=allowed,
        location_id=location_id or "",
        evse_uids=evse_uids,
        info=info[:512],
        partner_id=partner_id,
    )
    return AuthorizationResult(
        allowed=AllowedType(allowed),
        token=token,
        authorization_reference=reference,
        location_id=location_id,
        evse_uids=evse_uids,
        info=info,
    )
