"""Reads of the sync machinery's state (outbox, sync runs, traffic log) shared by the Prometheus metrics and the
admin dashboard. Each is one aggregate query, whatever the number of partners."""

from datetime import datetime

from django.db.models import Count, Max, Min, Q

from roaming.ocpi.models import OutboxMessage, SyncRun, TrafficLog

#: modules whose outbound calls are not pushes of partner objects (the handshake, discovery)
NOT_PUSHES = ("credentials", "versions", "")
PUSH_METHODS = ("PUT", "PATCH", "POST", "DELETE")


def push_backlog_by_partner() -> list[dict]:
    """Per partner with pushes waiting or given up: ``pending``, ``failed`` and the ``oldest`` pending creation."""
    return list(
        OutboxMessage.objects.filter(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED])
        .values("partner_id", "partner__name")
        .annotate(
            pending=Count("id", filter=Q(status=OutboxMessage.Status.PENDING)),
            failed=Count("id", filter=Q(status=OutboxMessage.Status.FAILED)),
            oldest=Min("created_at", filter=Q(status=OutboxMessage.Status.PENDING)),
        )
        .order_by("partner__name", "partner_id")
    )


def last_pull_by_partner_module() -> list[dict]:
    """Per (partner, module) ever pulled successfully: ``finished``, the end of the last successful pull."""
    return list(
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
        .values("partner_id", "partner__name", "module")
        .annotate(finished=Max("finished_at"))
    )


def sync_state_by_partner(*, since: datetime) -> dict[int, dict]:
    """Per partner id: ``last_push`` (last delivery), ``last_pull`` (last successful pull) and ``failed_pulls``
    since ``since``. Two queries."""
    state: dict[int, dict] = {}
    for row in (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.DELIVERED)
        .values("partner_id")
        .annotate(last=Max("delivered_at"))
    ):
        state.setdefault(row["partner_id"], {})["last_push"] = row["last"]
    for row in SyncRun.objects.values("partner_id").annotate(
        last=Max("finished_at", filter=Q(status=SyncRun.Status.SUCCEEDED)),
        failed=Count("id", filter=Q(status=SyncRun.Status.FAILED, started_at__gte=since)),
    ):
        entry = state.setdefault(row["partner_id"], {})
        entry["last_pull"] = row["last"]
        entry["failed_pulls"] = row["failed"]
    return state


def push_attempts_by_partner(*, since: datetime) -> list[dict]:
    """Per partner, the push calls we made since ``since`` (traffic log): ``attempts`` and ``failures`` (no HTTP
    answer, an HTTP status outside 2xx, or an OCPI status outside 1xxx)."""
    failure = Q(http_status__isnull=True) | ~Q(http_status__range=(200, 299)) | ~Q(ocpi_status__range=(1000, 1999))
    return list(
        TrafficLog.objects.filter(
            direction=TrafficLog.Direction.OUTBOUND,
            created_at__gte=since,
            method__in=PUSH_METHODS,
            partner__isnull=False,
        )
        .exclude(module__in=NOT_PUSHES)
        .values("partner_id", "partner__name")
        .annotate(attempts=Count("id"), failures=Count("id", filter=failure))
        .order_by("partner__name", "partner_id")
    )
