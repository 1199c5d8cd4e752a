"""Base models with no protocol knowledge."""

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    """Our own bookkeeping clock: when a row was created and last written here (never a partner's claim)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ApiKey(models.Model):
    """A key our own systems (the CSMS, scripts) call the internal API with: ``Authorization: Token <key>``.

    Only the key's SHA-256 digest is stored (the key is 256 random bits, shown once when it is issued) and the first
    characters, so staff can tell keys apart; revoking is immediate. The key acts as its user, whose ``is_active``
    and permissions (staff for the internal API) apply on every call.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What calls with it, e.g. 'CSMS production'.")
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
