"""Dashboard panels from CDRs: sessions, energy and money per day for 30 days per partner and currency, and the
CDRs finance must look at (flagged by the price check, disputes open).

A credit CDR (mod_cdrs.asciidoc, "Credit CDRs") carries the original's volumes and negative costs: money sums
include credits (what is owed nets out), sessions and energy count original CDRs only (a credit is no session).
Days are calendar days in the time zone the admin shows (the operator's, or the one the user picked)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from roaming.cdrs.choices import Direction, DisputeState, ReviewStatus
from roaming.cdrs.models import Cdr
from roaming.core.dashboard import Cell, Chart, DaySeries, Figure, Panel, Table, register_panel

DAYS = 30


@dataclass(frozen=True)
class CdrDay:
    day: dt.date
    direction: str
    partner: str
    currency: str
    sessions: int
    energy: Decimal
    amount: Decimal


def cdr_days(*, days: int = DAYS, today: dt.date | None = None) -> tuple[list[dt.date], list[CdrDay]]:
    """The last ``days`` calendar days (ending today, local) and the CDR totals per (day, direction, partner,
    currency) over them: one query."""
    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    window = [today - dt.timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    start = dt.datetime.combine(window[0], dt.time.min, tzinfo=zone)
    original = Q(credit=False)
    rows = (
        Cdr.objects.filter(start_date_time__gte=start)
        .annotate(day=TruncDate("start_date_time", tzinfo=zone))
        .values("day", "direction", "partner__name", "currency")
        .annotate(
            sessions=Count("id", filter=original),
            energy=Sum("total_energy", filter=original, default=Decimal(0)),
            amount=Sum("total_cost_excl_vat", default=Decimal(0)),
        )
        .order_by("day", "direction", "partner__name", "currency")
    )
    return window, [
        CdrDay(
            day=row["day"],
            direction=row["direction"],
            partner=row["partner__name"] or "(no partner)",
            currency=row["currency"],
            sessions=row["sessions"],
            energy=row["energy"],
            amount=row["amount"],
        )
        for row in rows
        if row["day"] <= today
    ]


def cdrs_needing_review() -> dict[str, int]:
    """``flagged`` (our recomputation disagrees) and ``disputed`` (a dispute is open) CDR counts: one query."""
    return Cdr.objects.aggregate(
        flagged=Count("id", filter=Q(review_status=ReviewStatus.FLAGGED)),
        disputed=Count("id", filter=Q(dispute_state=DisputeState.OPEN)),
    )


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def _kwh(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.001')):,}"


@register_panel("cdrs-review", order=50, permission="cdrs.view_cdr")
def review_panel(request) -> Panel:
    counts = cdrs_needing_review()
    changelist = reverse("admin:cdrs_cdr_changelist")
    return Panel(
        key="cdrs-review",
        title="CDRs to review",
        figures=[
            Figure(
                "Flagged by the price check",
                counts["flagged"],
                link=f"{changelist}?review_status__exact={ReviewStatus.FLAGGED}",
                tone="bad" if counts["flagged"] else "good",
                key="cdrs-flagged",
            ),
            Figure(
                "Disputes open",
                counts["disputed"],
                link=f"{changelist}?review_status__exact={ReviewStatus.DISPUTED}",
                tone="bad" if counts["disputed"] else "good",
                key="cdrs-disputed",
            ),
        ],
        wide=False,
    )


@register_panel("cdrs-activity", order=60, permission="cdrs.view_cdr")
def activity_panel(request) -> Panel:
    window, rows = cdr_days()
    labels = [f"{day:%d %b}" for day in window]
    sessions, energy = DaySeries(window), DaySeries(window)
    money: dict[tuple[str, str], DaySeries] = {}
    totals: dict[tuple[str, str, str], list] = {}
    for row in rows:
        sessions.add(row.partner, row.day, row.sessions)
        energy.add(row.partner, row.day, row.energy)
        money.setdefault((row.direction, row.currency), DaySeries(window)).add(row.partner, row.day, row.amount)
        total = totals.setdefault((row.partner, row.direction, row.currency), [0, Decimal(0), Decimal(0)])
        total[0] += row.sessions
        total[1] += row.energy
        total[2] += row.amount
    charts = [
        Chart("Sessions per day (CDRs)", labels, sessions.series(), stacked=True, key="cdr-sessions-chart"),
        Chart("Energy per day (kWh)", labels, energy.series(), stacked=True, key="cdr-energy-chart"),
    ]
    for (direction, currency), series in sorted(money.items()):
        title = "Revenue" if direction == Direction.SENT else "Charging bought from CPOs"
        charts.append(
            Chart(
                f"{title} per day ({currency}, excl. VAT)",
                labels,
                series.series(),
                stacked=True,
                key=f"cdr-{direction}-{currency.lower()}-chart",
            )
        )
    table_rows = [
        [
            Cell(partner),
            Cell(Direction(direction).label),
            Cell(currency),
            Cell(count, key=f"cdr-total-{index}-sessions"),
            Cell(_kwh(kwh), key=f"cdr-total-{index}-energy"),
            Cell(_money(amount), key=f"cdr-total-{index}-amount"),
        ]
        for index, ((partner, direction, currency), (count, kwh, amount)) in enumerate(sorted(totals.items()))
    ]
    return Panel(
        key="cdrs-activity",
        title=f"Sessions, energy and money, last {DAYS} days",
        charts=charts if rows else [],
        tables=[
            Table(
                headers=("Partner", "CDRs", "Currency", "Sessions", "Energy (kWh)", "Amount excl. VAT"),
                rows=table_rows,
                key="cdr-totals-table",
                empty=f"No CDR in the last {DAYS} days.",
            )
        ],
        note="From CDRs, by the day the session started. Credit CDRs net out the amounts and count no session.",
    )
