"""Enums of the tokens module (mod_tokens.asciidoc, "Data types"). Values are the wire strings."""

from django.db import models

from roaming.ocpi.choices import ProfileType as ProfileType

# Shared with other modules, defined once in roaming.ocpi; re-exported so imports keep working.
from roaming.ocpi.choices import TokenType as TokenType


class WhitelistType(models.TextChoices):
    ALWAYS = "ALWAYS", "Always (CPO decides from its cache)"
    ALLOWED = "ALLOWED", "Allowed (cache if valid, else ask the eMSP)"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE", "Allowed offline (ask the eMSP, cache only when it is unreachable)"
    NEVER = "NEVER", "Never (always ask the eMSP)"


class AllowedType(models.TextChoices):
    ALLOWED = "ALLOWED", "Allowed"
    BLOCKED = "BLOCKED", "Blocked"
    EXPIRED = "EXPIRED", "Expired"
    NO_CREDIT = "NO_CREDIT", "No credit"
    NOT_ALLOWED = "NOT_ALLOWED", "Not allowed"


class DecisionSource(models.TextChoices):
    """How the CPO side reached an authorization decision (ours, not OCPI's)."""

    OWN = "OWN", "Our own eMSP (decided locally)"
    CACHE = "CACHE", "Token cache"
    REALTIME = "REALTIME", "Real-time authorization at the eMSP"
    FALLBACK_CACHE = "FALLBACK_CACHE", "eMSP unreachable: cache used"
    FALLBACK_REFUSED = "FALLBACK_REFUSED", "eMSP unreachable: refused"
    REFUSED = "REFUSED", "Refused before asking anyone"
