"""Reconciliation runs and the differences they found (issue: "find out, per partner and period, where we and
they disagree, and repair what can be repaired").

A run compares, for one partner, one module and one period (``date_from`` inclusive, ``date_to`` exclusive, on the
objects' ``last_updated``, as the Sender GET's filters are), what we hold with what the partner's Sender returns,
checks the CDRs we sent, and our own completeness. Each finding is a ``Difference`` with both values, a suggested
action and, once repaired, the outcome.
"""

from django.conf import settings
from django.db import models

from roaming.reconciliation.choices import Action, Kind, Module, RepairOutcome, RunStatus


class ReconciliationRun(models.Model):
    """One reconciliation of one partner's module for one period, with counts per kind (``counts``)."""

    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL, on_delete=models.CASCADE, related_name="reconciliation_runs"
    )
    module = models.CharField(max_length=16, choices=Module.choices)
    date_from = models.DateTimeField("period from")
    date_to = models.DateTimeField("period to", help_text="Exclusive")
    repair = models.BooleanField(default=False, help_text="Safe repairs were applied")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, blank=True, help_text="User, 'schedule' or 'command line'")
    compared_ours = models.PositiveIntegerField("objects held here", default=0)
    compared_theirs = models.PositiveIntegerField("objects the partner listed", default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Differences per kind")
    differences_found = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True, help_text="What was checked or skipped, and why")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["partner", "module", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_module_display()} with {self.partner} ({self.date_from:%Y-%m-%d} – {self.date_to:%Y-%m-%d})"

    @property
    def open_differences(self) -> int:
        return self.differences_found - self.repaired


class Difference(models.Model):
    """One disagreement: the object's key, our value and the partner's (JSON, as compared), what to do, and what a
    repair did."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    object_id = models.CharField(max_length=200, help_text="country_code/party_id/id (tokens: /type)", db_index=True)
    field = models.CharField(max_length=100, blank=True, help_text="The field that differs, if one")
    our_value = models.JSONField(null=True, blank=True)
    their_value = models.JSONField(null=True, blank=True)
    action = models.CharField("suggested action", max_length=12, choices=Action.choices)
    repaired = models.BooleanField(default=False)
    repair_outcome = models.CharField(max_length=10, choices=RepairOutcome.choices, default="", blank=True)
    repair_message = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "kind", "object_id", "id"]
        indexes = [models.Index(fields=["run", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.object_id}"
