"""Dashboard panel: our network's EVSEs by status (the CPO side: locations we own)."""

from django.db.models import Count
from django.urls import reverse

from roaming.core.dashboard import Chart, Figure, Panel, register_panel
from roaming.locations.choices import Status
from roaming.locations.models import EVSE

#: statuses that mean a driver cannot charge here now
UNAVAILABLE = {Status.INOPERATIVE, Status.OUTOFORDER, Status.BLOCKED}


def own_evse_status_counts() -> dict[str, int]:
    """EVSE count per status over our own locations (one query); removed EVSEs are left out."""
    rows = (
        EVSE.objects.filter(location__source_partner__isnull=True)
        .exclude(status=Status.REMOVED)
        .values("status")
        .annotate(count=Count("id"))
    )
    return {row["status"]: row["count"] for row in rows}


@register_panel("network", order=30, permission="locations.view_evse")
def network_panel(request) -> Panel:
    counts = own_evse_status_counts()
    changelist = reverse("admin:locations_evse_changelist")
    shown = [status for status in Status if status != Status.REMOVED and counts.get(status)]
    figures = [Figure("EVSEs", sum(counts.values()), link=f"{changelist}?data=own", key="evse-total")]
    figures += [
        Figure(
            status.label,
            counts[status],
            link=f"{changelist}?data=own&status__exact={status.value}",
            tone="bad" if status in UNAVAILABLE else ("good" if status == Status.AVAILABLE else ""),
            key=f"evse-{status.value.lower()}",
        )
        for status in shown
    ]
    charts = (
        [
            Chart(
                title="Our EVSEs by status",
                labels=[status.label for status in shown],
                series=[("EVSEs", [counts[status] for status in shown])],
                key="evse-status-chart",
            )
        ]
        if shown
        else []
    )
    return Panel(
        key="network",
        title="Our network",
        figures=figures,
        charts=charts,
        note="" if counts else "No charger of ours yet: import chargers from the EVSEs page.",
        wide=False,
    )
