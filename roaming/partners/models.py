"""Roaming partners and their OCPI credentials (credentials.asciidoc)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from roaming.core import crypto
from roaming.core.models import TimeStampedModel
from roaming.ocpi.status import InterfaceRole, Role
from roaming.partners.choices import Initiator, PartnerStatus, TokenEncoding, TokenKind, TokenTypeField


class Partner(TimeStampedModel):
    """A platform we roam with: one credentials connection, possibly several roles (2.2.1 CredentialsRole list).

    Two tokens per connection: the one *we* issued it (stored hashed in ``PartnerToken``) and the one *it* issued
    us (``their_token_encrypted``, encrypted at rest because we send it back on every call).
    """

    name = models.CharField("business name", max_length=100)
    website = models.URLField(blank=True, max_length=255)
    status = models.CharField(max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.INVITED)
    initiated_by = models.CharField(max_length=8, choices=Initiator.choices, default=Initiator.THEM)
    versions_url = models.URLField("partner's versions URL", max_length=255, blank=True)
    version = models.CharField("negotiated OCPI version", max_length=10, blank=True)
    their_token_encrypted = models.TextField(blank=True, editable=False)
    token_encoding = models.CharField(
        max_length=8,
        choices=TokenEncoding.choices,
        default=TokenEncoding.BASE64,
        help_text="How we send the partner's token in the Authorization header.",
    )
    # The partner profile: what the partner wants that its answers do not reveal (see roaming.ocpi.profile).
    token_type_field = models.CharField(
        "token type key",
        max_length=10,
        choices=TokenTypeField.choices,
        default=TokenTypeField.TYPE,
        help_text="The key of a token's type in Token objects and cdr_token, both ways.",
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField("last successful contact", null=True, blank=True)
    last_failure_at = models.DateTimeField("last failed contact", null=True, blank=True)
    last_error = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def their_token(self) -> str:
        return crypto.decrypt(self.their_token_encrypted) if self.their_token_encrypted else ""

    @their_token.setter
    def their_token(self, value: str) -> None:
        self.their_token_encrypted = crypto.encrypt(value) if value else ""

    @property
    def is_active(self) -> bool:
        return self.status == PartnerStatus.REGISTERED


class PartnerRole(models.Model):
    """One CredentialsRole of a partner: the country_code/party_id it acts for (credentials.asciidoc)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=5, choices=Role.choices)
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    business_name = models.CharField(max_length=100)
    business_website = models.URLField(blank=True, max_length=255)
    business_logo = models.JSONField(null=True, blank=True, help_text="OCPI Image object, as sent")

    class Meta:
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "country_code", "party_id", "role"], name="uniq_partner_role")
        ]
        indexes = [models.Index(fields=["country_code", "party_id"])]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.role}"

    def save(self, *args, **kwargs):
        # CiStrings: store upper-case so lookups and uniqueness are case-insensitive.
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        super().save(*args, **kwargs)

    def to_ocpi(self) -> dict:
        business = {"name": self.business_name}
        if self.business_website:
            business["website"] = self.business_website
        if self.business_logo:
            business["logo"] = self.business_logo
        return {
            "role": self.role,
            "business_details": business,
            "party_id": self.party_id,
            "country_code": self.country_code,
        }


class PartnerEndpoint(models.Model):
    """An endpoint the partner published in its version details."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=32)
    role = models.CharField(max_length=8, choices=InterfaceRole.choices)
    url = models.URLField(max_length=255)

    class Meta:
        ordering = ["identifier", "role"]
        constraints = [models.UniqueConstraint(fields=["partner", "identifier", "role"], name="uniq_partner_endpoint")]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


class PartnerToken(models.Model):
    """A credentials token we issued to a partner, stored as a SHA-256 digest only.

    Kind A is the one-time registration token (credentials.asciidoc, CREDENTIALS_TOKEN_A). Kind C is the access token
    of a completed handshake: token C when the partner registered with us, token B when we registered with it.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=1, choices=TokenKind.choices)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, blank=True, help_text="First characters, to recognise a token")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["partner", "kind"], condition=Q(revoked_at__isnull=True), name="live_token")]

    def __str__(self) -> str:
        if self.revoked_at is None:
            state = "live"
        elif self.revoked_at > timezone.now():
            state = f"valid until {self.revoked_at:%Y-%m-%d %H:%M:%S} UTC (rotation grace)"
        else:
            state = "revoked"
        return f"{self.get_kind_display()} {self.hint}… ({state})"


class PartnerEvent(models.Model):
    """What happened on a connection, in words, for staff on the partner's page (handshake steps, failures)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32)
    success = models.BooleanField(default=True)
    message = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.message[:60]}"
