"""Dashboard panel: charging sessions active now, at our chargers (CPO) and of our drivers elsewhere (eMSP)."""

from django.db.models import Count, Q
from django.urls import reverse

from roaming.core.dashboard import Figure, Panel, register_panel
from roaming.sessions.choices import SessionStatus
from roaming.sessions.models import ChargingSession


def active_session_counts() -> dict[str, int]:
    """``own`` (at our chargers) and ``received`` (our drivers at partners' chargers) ACTIVE sessions: one query."""
    return ChargingSession.objects.filter(status=SessionStatus.ACTIVE).aggregate(
        own=Count("id", filter=Q(source_partner__isnull=True)),
        received=Count("id", filter=Q(source_partner__isnull=False)),
    )


@register_panel("sessions", order=40, permission="charging_sessions.view_chargingsession")
def sessions_panel(request) -> Panel:
    counts = active_session_counts()
    changelist = reverse("admin:charging_sessions_chargingsession_changelist")
    return Panel(
        key="sessions",
        title="Charging now",
        figures=[
            Figure(
                "At our chargers",
                counts["own"],
                link=f"{changelist}?side=own&status__exact=ACTIVE",
                key="sessions-active-own",
            ),
            Figure(
                "Our drivers at partners' chargers",
                counts["received"],
                link=f"{changelist}?side=received&status__exact=ACTIVE",
                key="sessions-active-received",
            ),
        ],
        wide=False,
    )
