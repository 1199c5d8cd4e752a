"""Writes of reconciliation: ``run`` (compare, record, repair, notify) and ``schedule`` (periodic runs ops edit in
the admin)."""

from roaming.reconciliation.services.run import reconciliation_execute, reconciliation_run, reconciliation_start
from roaming.reconciliation.services.schedule import reconciliation_schedule

__all__ = ["reconciliation_execute", "reconciliation_run", "reconciliation_schedule", "reconciliation_start"]
