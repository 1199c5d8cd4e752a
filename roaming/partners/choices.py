from django.db import models


class PartnerStatus(models.TextChoices):
    """Lifecycle of a roaming connection."""

    INVITED = "invited", "Invited (token A issued, waiting for the partner)"
    REGISTERING = "registering", "Registering (we started the handshake)"
    REGISTERED = "registered", "Registered"
    SUSPENDED = "suspended", "Suspended"
    UNREGISTERED = "unregistered", "Unregistered"


class TokenKind(models.TextChoices):
    REGISTRATION = "A", "Registration token (A)"
    ACCESS = "C", "Access token (B/C)"


class TokenEncoding(models.TextChoices):
    BASE64 = "base64", "Base64 (OCPI 2.2.1)"
    PLAIN = "plain", "Plain (OCPI 2.1.1 and many 2.2 peers)"


class TokenTypeField(models.TextChoices):
    TYPE = "type", "type (OCPI 2.2.1)"
    TOKEN_TYPE = "token_type", "token_type (some platforms)"


class Initiator(models.TextChoices):
    US = "us", "We registered with them"
    THEM = "them", "They registered with us"
