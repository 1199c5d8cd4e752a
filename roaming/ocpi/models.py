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
        return f"{self.get_direction_display()} {self.method} {self.url}: {self.outcome}"

    @property
    def outcome(self) -> str:
        """The answer in words: "HTTP 200, OCPI 1000", "HTTP 404", "no answer (timeout...)"."""
        if self.http_status is None:
            return f"no answer ({self.error.splitlines()[0][:80]})" if self.error else "no answer"
        if self.ocpi_status is None:
            return f"HTTP {self.http_status}"
        return f"HTTP {self.http_status}, OCPI {self.ocpi_status}"

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and self.http_status < 400 and (self.ocpi_status or 1000) < 2000


class OutboxMessage(models.Model):
    """One push (PUT/PATCH/DELETE of our own data) owed to one partner (the push engine, ``roaming.ocpi.push``).

    Written in the same transaction as the change it announces, delivered by Celery in order per object, kept until
    the partner confirms it. ``path`` is relative to the partner's RECEIVER endpoint for ``module``
    (e.g. ``NL/CPO/LOC1/EVSE1``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded by a later PUT"
        CANCELLED = "cancelled", "Cancelled (partner unregistered)"

    partner = models.ForeignKey(settings.OCPI_PARTNER_MODEL, on_delete=models.CASCADE, related_name="outbox")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    version = models.CharField(max_length=10, default="2.2.1")
    module = models.CharField(max_length=32)
    object_key = models.CharField(max_length=200, help_text="Messages with the same key are delivered in order")
    method = models.CharField(max_length=6)
    path = models.CharField(max_length=400)
    body = models.JSONField(null=True, blank=True)
    after_keys = models.JSONField(
        default=list, blank=True, help_text="Object keys whose earlier pushes must be delivered first"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ocpi_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "push (outbox)"
        verbose_name_plural = "pushes (outbox)"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["partner", "module", "object_key", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.module}/{self.path} -> {self.partner_id} ({self.status})"


class SyncRun(models.Model):
    """One pull of a partner's SENDER endpoint (the pull engine, ``roaming.ocpi.pull``).

    ``date_from`` is the start of the last successful run (incremental pull); ``resume_url`` the next page to fetch,
    saved after every committed page so a crashed or failed run resumes where it stopped. ``removed``/``removed_ids``:
    what a complete full pull marked removed because the partner no longer returned it.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    partner = models.ForeignKey(settings.OCPI_PARTNER_MODEL, on_delete=models.CASCADE, related_name="sync_runs")
    module = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    full = models.BooleanField(default=False, help_text="Pulled everything, ignoring earlier runs")
    date_from = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resume_url = models.TextField(blank=True)
    pages = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0, help_text="Unchanged or older than what we hold")
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="First rejected objects, with reasons")
    removed = models.PositiveIntegerField(
        default=0, help_text="Objects the partner no longer returned, marked removed (complete full pulls only)"
    )
    removed_ids = models.JSONField(
        default=list, blank=True, help_text="country_code/party_id/id of the first 1000 objects marked removed"
    )
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["partner", "module", "-started_at"])]

    def __str__(self) -> str:
        return f"pull {self.module} from {self.partner_id} ({self.status})"
