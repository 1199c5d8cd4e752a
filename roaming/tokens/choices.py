"""Enums of the tokens module (mod_tokens.asciidoc, "Data types"). Values are the wire strings."""

from django.db import models


class TokenType(models.TextChoices):
    AD_HOC_USER = "AD_HOC_USER", "Ad hoc user (one-time payment)"
    APP_USER = "APP_USER", "App user"
    OTHER = "OTHER", "Other"
    RFID = "RFID", "RFID card"


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


class ProfileType(models.TextChoices):
    CHEAP = "CHEAP", "Cheap"
    FAST = "FAST", "Fast"
    GREEN = "GREEN", "Green"
    REGULAR = "REGULAR", "Regular"


class DecisionSource(models.TextChoices):
    """How the CPO side reached an authorization decision (ours, not OCPI's)."""

    OWN = "OWN", "Our own eMSP (decided locally)"
    CACHE = "CACHE", "Token cache"
    REALTIME = "REALTIME", "Real-time authorization at the eMSP"
    FALLBACK_CACHE = "FALLBACK_CACHE", "eMSP unreachable: cache used"
    FALLBACK_REFUSED = "FALLBACK_REFUSED", "eMSP unreachable: refused"
    REFUSED = "REFUSED", "Refused before asking anyone"
