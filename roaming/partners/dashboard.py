"""Dashboard panel: partners by connection state, with their last successful push and pull and their failures."""

from datetime import timedelta

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from roaming.core.dashboard import Cell, Figure, Panel, Table, register_panel
from roaming.ocpi.selectors import sync_state_by_partner
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner, PartnerRole

SHOWN_STATES = (PartnerStatus.REGISTERED, PartnerStatus.REGISTERING, PartnerStatus.INVITED, PartnerStatus.SUSPENDED)


def partners_with_roles() -> list[Partner]:
    """Every partner not unregistered, with its roles (two queries)."""
    return list(
        Partner.objects.exclude(status=PartnerStatus.UNREGISTERED)
        .prefetch_related(Prefetch("roles", queryset=PartnerRole.objects.order_by("role", "country_code")))
        .order_by("name", "pk")
    )


@register_panel("partners", order=10, permission="partners.view_partner")
def partners_panel(request) -> Panel:
    partners = partners_with_roles()
    state = sync_state_by_partner(since=timezone.now() - timedelta(hours=24))
    changelist = reverse("admin:partners_partner_changelist")
    figures = [
        Figure(
            label=status.label.split(" (")[0],
            value=sum(1 for partner in partners if partner.status == status),
            link=f"{changelist}?status__exact={status.value}",
            tone="bad" if status == PartnerStatus.SUSPENDED and any(p.status == status for p in partners) else "",
            key=f"partners-{status.value}",
        )
        for status in SHOWN_STATES
    ]
    rows = []
    for partner in partners:
        sync = state.get(partner.pk, {})
        failed_pulls = sync.get("failed_pulls", 0)
        rows.append(
            [
                Cell(partner.name, link=reverse("admin:partners_partner_change", args=[partner.pk])),
                Cell(partner.get_status_display().split(" (")[0], tone="bad" if partner.last_error else ""),
                Cell(", ".join(f"{role.role} {role.country_code}*{role.party_id}" for role in partner.roles.all())),
                Cell(sync.get("last_push") or "—", key=f"partner-{partner.pk}-last-push"),
                Cell(sync.get("last_pull") or "—", key=f"partner-{partner.pk}-last-pull"),
                Cell(failed_pulls, tone="bad" if failed_pulls else "", key=f"partner-{partner.pk}-failed-pulls"),
                Cell(
                    f"{timezone.localtime(partner.last_failure_at):%Y-%m-%d %H:%M}: {partner.last_error[:120]}"
                    if partner.last_failure_at and partner.last_error
                    else "—",
                    tone="bad" if partner.last_error else "",
                ),
            ]
        )
    table = Table(
        headers=("Partner", "State", "Roles", "Last push delivered", "Last pull", "Failed pulls (24 h)", "Last error"),
        rows=rows,
        key="partners-table",
        empty="No partner yet: invite one or register with one from the Partners page.",
    )
    return Panel(key="partners", title="Partners", figures=figures, tables=[table])
