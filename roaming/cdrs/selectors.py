"""Reads of CDRs: the Sender list per eMSP, the Receiver's stored CDR, finance's totals, and the checks the CDR page
shows (mod_cdrs.asciidoc).

A CDR renders from its own row, so a page of the Sender list costs a constant number of queries.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from roaming.cdrs.choices import CdrDimensionType, Direction
from roaming.cdrs.models import Cdr
from roaming.ocpi.datetimes import parse_datetime
from roaming.ocpi.models import OutboxMessage
from roaming.partners.models import PartnerRole

#: a period's TIME + PARKING_TIME may differ from its length by this much (CPOs round volumes to 4 decimals)
PERIOD_TOLERANCE_HOURS = Decimal("0.01")


def cdr_list_for_emsp(*, partner_id: int) -> QuerySet[Cdr]:
    """Our CDRs whose token belongs to one of the partner's eMSP roles ("A CPO is not required to return all known
    CDRs, [...] only the CDRs that are relevant for the requesting eMSP", Pull model)."""
    parties = list(
        PartnerRole.objects.filter(partner_id=partner_id, role="EMSP").values_list("country_code", "party_id")
    )
    queryset = Cdr.objects.filter(direction=Direction.SENT)
    if not parties:
        return queryset.none()
    match = Q()
    for country_code, party_id in parties:
        match |= Q(token_country_code=country_code.upper(), token_party_id=party_id.upper())
    return queryset.filter(match)


def cdrs_for_render(cdr_ids: list[int]) -> list[Cdr]:
    """The CDRs of a Sender page, in the order of ``cdr_ids``, with only what ``cdrs_to_ocpi`` reads (the stored
    JSON). The page is chosen on primary keys first: sorting and skipping ``offset`` rows of ids is cheap, doing it
    on the JSON rows was most of a 50,000-CDR pull (bench/bench_cdrs.py)."""
    rows = Cdr.objects.only("pk", "ocpi_json").in_bulk(list(cdr_ids))
    return [rows[pk] for pk in cdr_ids]


def cdr_get_received(*, country_code: str, party_id: str, cdr_id: str) -> Cdr | None:
    """A CDR a CPO posted to us, by its key (the URL we answered the POST with)."""
    return Cdr.objects.filter(
        direction=Direction.RECEIVED,
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        cdr_id__iexact=cdr_id,
    ).first()


def cdr_totals(queryset: QuerySet[Cdr]) -> list[dict]:
    """Per currency: count, energy, total cost excl./incl. VAT of ``queryset`` (one query)."""
    return list(
        queryset.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            energy=Sum("total_energy"),
            cost_excl_vat=Sum("total_cost_excl_vat"),
            cost_incl_vat=Sum("total_cost_incl_vat"),
        )
        .order_by("currency")
    )


def cdr_deliveries(*, cdr: Cdr) -> list[OutboxMessage]:
    """The POSTs of our CDR to partners (the outbox), newest first."""
    return list(
        OutboxMessage.objects.filter(module="cdrs", object_key=cdr.object_key).select_related("partner").order_by("-id")
    )


@dataclass(frozen=True)
class PeriodRow:
    """One charging period as the CDR page shows it, with the volumes by dimension and whether TIME + PARKING_TIME
    agree with the period's length (start to the next start, or to the CDR's end)."""

    start: dt.datetime
    end: dt.datetime
    hours: Decimal
    tariff_id: str
    volumes: dict[str, Decimal]
    disagreement: str


def cdr_period_rows(*, cdr: Cdr) -> list[PeriodRow]:
    periods = cdr.charging_periods or []
    rows = []
    for index, period in enumerate(periods):
        start = parse_datetime(period["start_date_time"])
        end = parse_datetime(periods[index + 1]["start_date_time"]) if index + 1 < len(periods) else cdr.end_date_time
        hours = Decimal((end - start).total_seconds()) / Decimal(3600)
        volumes = {d["type"]: Decimal(str(d["volume"])) for d in period.get("dimensions") or []}
        timed = [volumes[t] for t in (CdrDimensionType.TIME, CdrDimensionType.PARKING_TIME) if t in volumes]
        disagreement = ""
        if end < start:
            disagreement = "starts after the next period (or the CDR's end)"
        elif timed and abs(sum(timed) - hours) > PERIOD_TOLERANCE_HOURS:
            disagreement = f"time volumes add up to {sum(timed):.4f} h, the period lasts {hours:.4f} h"
        rows.append(
            PeriodRow(
                start=start,
                end=end,
                hours=hours.quantize(Decimal("0.0001")),
                tariff_id=period.get("tariff_id", ""),
                volumes=volumes,
                disagreement=disagreement,
            )
        )
    return rows


def price_comparison_rows(report: Mapping | None) -> list[dict]:
    """The CPO's totals beside our recomputation, per field, with the difference (``differs`` when not zero)."""
    if not report or "recomputed" not in report:
        return []
    rows = []
    for name, ours in report["recomputed"].items():
        theirs, difference = report["cdr"].get(name), report["difference"].get(name)
        if isinstance(ours, Mapping):
            for part in ("excl_vat", "incl_vat"):
                diff = (difference or {}).get(part)
                rows.append(
                    {
                        "field": f"{name} ({'excl. VAT' if part == 'excl_vat' else 'incl. VAT'})",
                        "cdr": (theirs or {}).get(part),
                        "ours": ours.get(part),
                        "difference": diff,
                        "differs": diff is not None and Decimal(diff) != 0,
                    }
                )
        else:
            rows.append(
                {
                    "field": name,
                    "cdr": theirs,
                    "ours": ours,
                    "difference": difference,
                    "differs": difference is not None and Decimal(difference) != 0,
                }
            )
    return rows


def sessions_without_cdr():
    """Our completed sessions whose CDR (same id) does not exist."""
    from django.apps import apps
    from django.db.models import Exists, OuterRef

    session_model = apps.get_model("charging_sessions", "ChargingSession")
    cdrs = Cdr.objects.filter(
        direction=Direction.SENT,
        country_code=OuterRef("country_code"),
        party_id=OuterRef("party_id"),
        cdr_id=OuterRef("session_id"),
    )
    return (
        session_model.objects.filter(source_partner__isnull=True, status="COMPLETED", end_date_time__isnull=False)
        .exclude(Exists(cdrs))
        .select_related("own_location", "own_connector__evse__location")
    )
