"""Dashboard panel: pushes waiting per partner and how many push calls failed in the last 24 hours."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from roaming.core.dashboard import Cell, Chart, Figure, Panel, Table, register_panel
from roaming.ocpi.selectors import push_attempts_by_partner, push_backlog_by_partner


def failure_rate(failures: int, attempts: int) -> str:
    return f"{100 * failures / attempts:.1f} %" if attempts else "—"


@register_panel("pushes", order=20, permission="ocpi.view_outboxmessage")
def pushes_panel(request) -> Panel:
    backlog = {row["partner_id"]: row for row in push_backlog_by_partner()}
    attempts = {row["partner_id"]: row for row in push_attempts_by_partner(since=timezone.now() - timedelta(hours=24))}
    outbox = reverse("admin:ocpi_outboxmessage_changelist")
    names = {pk: row["partner__name"] for rows in (backlog, attempts) for pk, row in rows.items()}
    partner_ids = sorted(names, key=lambda pk: (names[pk], pk))
    rows = []
    for pk in partner_ids:
        waiting, tried = backlog.get(pk, {}), attempts.get(pk, {})
        failures, calls = tried.get("failures", 0), tried.get("attempts", 0)
        rows.append(
            [
                Cell(names[pk], link=f"{outbox}?partner__id__exact={pk}"),
                Cell(waiting.get("pending", 0), key=f"push-{pk}-pending"),
                Cell(waiting.get("oldest") or "—"),
                Cell(waiting.get("failed", 0), tone="bad" if waiting.get("failed") else "", key=f"push-{pk}-failed"),
                Cell(calls, key=f"push-{pk}-calls"),
                Cell(failure_rate(failures, calls), tone="bad" if failures else "", key=f"push-{pk}-rate"),
            ]
        )
    total_calls = sum(row.get("attempts", 0) for row in attempts.values())
    total_failures = sum(row.get("failures", 0) for row in attempts.values())
    figures = [
        Figure(
            "Waiting to be pushed", sum(row["pending"] for row in backlog.values()), link=outbox, key="push-pending"
        ),
        Figure(
            "Given up (need a retry)",
            sum(row["failed"] for row in backlog.values()),
            link=f"{outbox}?status__exact=failed",
            tone="bad" if any(row["failed"] for row in backlog.values()) else "",
            key="push-failed",
        ),
        Figure(
            "Push calls failed (24 h)",
            failure_rate(total_failures, total_calls),
            tone="bad" if total_failures else "",
            key="push-rate",
        ),
    ]
    charts = []
    if partner_ids:
        charts.append(
            Chart(
                title="Push backlog per partner",
                labels=[names[pk] for pk in partner_ids],
                series=[
                    ("Waiting", [backlog.get(pk, {}).get("pending", 0) for pk in partner_ids]),
                    ("Given up", [backlog.get(pk, {}).get("failed", 0) for pk in partner_ids]),
                ],
                stacked=True,
                key="push-backlog-chart",
            )
        )
    table = Table(
        headers=("Partner", "Waiting", "Oldest waiting since", "Given up", "Push calls (24 h)", "Failed (24 h)"),
        rows=rows,
        key="pushes-table",
        empty="Nothing waiting and no push in the last 24 hours.",
    )
    return Panel(key="pushes", title="Pushes to partners", figures=figures, charts=charts, tables=[table])
