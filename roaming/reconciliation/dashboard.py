"""Dashboard panel: reconciliation differences still open, per partner and module (the latest finished run of
each), linking to the run's report."""

from django.urls import reverse

from roaming.core.dashboard import Cell, Figure, Panel, Table, register_panel
from roaming.reconciliation.selectors import reconciliation_open_differences


@register_panel("reconciliation", order=70, permission="reconciliation.view_reconciliationrun")
def open_differences_panel(request) -> Panel:
    rows = reconciliation_open_differences()
    total = sum(row["open"] for row in rows)
    return Panel(
        key="reconciliation",
        title="Reconciliation",
        figures=[
            Figure(
                "Differences open",
                total,
                link=reverse("admin:reconciliation_reconciliationrun_changelist"),
                tone="bad" if total else "good",
                key="reconciliation-open",
            )
        ],
        tables=[
            Table(
                headers=("Partner", "Module", "Open", "Latest run"),
                rows=[
                    (
                        Cell(row["partner"]),
                        Cell(row["module"]),
                        Cell(row["open"], tone="bad", key=f"reconciliation-open-{row['partner_id']}-{row['module']}"),
                        Cell(
                            f"#{row['run_id']}",
                            link=reverse("admin:reconciliation_reconciliationrun_report", args=[row["run_id"]]),
                        ),
                    )
                    for row in rows
                ],
                key="reconciliation-table",
                empty="No difference open: every partner's latest run matched.",
            )
        ],
        wide=False,
    )
