"""Writes of reconciliation: ``run`` (compare, record, repair, notify) and ``schedule`` (periodic runs ops edit in
the admin)."""

from roaming.reconciliation.services.run import reconciliation_run
from roaming.reconciliation.services.schedule import reconciliation_schedule

__all__ = ["reconciliation_run", "reconciliation_schedule"]
