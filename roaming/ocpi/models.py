"""The OCPI traffic log: every inbound and outbound OCPI call, for integrators and ops.

X-Request-ID / X-Correlation-ID are the only receipts the protocol offers (transport_and_format.asciidoc,
Request/Correlation ID), so they are stored and searchable. Bodies are cut to ``OCPI_TRAFFIC_LOG_BODY_LIMIT``.
"""

from django.conf import settings
from django.db import models


class TrafficLog(models.Model):
    """One OCPI HTTP exchange, inbound (a partner called us) or outbound (we called a partner)."""

    class Direction(models.TextChoices):
        INBOUND = "IN", "Inbound"
        OUTBOUND = "OUT", "Outbound"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="traffic"
    )
    module = models.CharField(max_length=32, blank=True, db_index=True)
    method = models.CharField(max_length=8)
    url = models.TextField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no HTTP answer")
    ocpi_status = models.PositiveSmallIntegerField(null=True, blank=True)
    status_message = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    request_id = models.CharField(max_length=100, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=100, blank=True, db_index=True)
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Transport failure (timeout, refused connection...)")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "traffic log entry"
        verbose_name_plural = "traffic log"
        indexes = [models.Index(fields=["partner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.method} {self.url} -> {self.http_status}/{self.ocpi_status}"

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and self.http_status < 400 and (self.ocpi_status or 1000) < 2000
