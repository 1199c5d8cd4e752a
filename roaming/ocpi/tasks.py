"""Periodic housekeeping of the OCPI core."""

from celery import shared_task

from roaming.ocpi.traffic import traffic_prune


@shared_task(name="ocpi.traffic_log_prune")
def traffic_log_prune_task(older_than_days: int | None = None) -> int:
    """Delete traffic log entries past ``OCPI_TRAFFIC_LOG_RETENTION_DAYS`` (scheduled daily by default)."""
    return traffic_prune(older_than_days=older_than_days)
