"""Reads of reconciliation: what we hold of a partner's module, keyed as the partner's list is; the open
differences a dashboard shows; a partner's run history."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Upper

from roaming.locations.models import EVSE
from roaming.reconciliation.models import Difference, ReconciliationRun
from roaming.reconciliation.specs import Key, ModuleSpec

CHUNK = 5000


def _rows(spec: ModuleSpec, queryset: QuerySet) -> list[dict]:
    rows = list(queryset.values(*dict.fromkeys((*spec.fields, "id"))))
    if spec.module == "locations":  # each EVSE's status: one more query for the whole set
        by_location: dict[int, dict] = defaultdict(dict)
        evses = EVSE.objects.filter(location_id__in=[r["id"] for r in rows]).values_list("location_id", "uid", "status")
        for location_id, uid, status in evses:
            by_location[location_id][uid.upper()] = status
        for row in rows:
            row["evses"] = by_location.get(row["id"], {})
    return rows


def _summaries(spec: ModuleSpec, queryset: QuerySet) -> dict[Key, dict]:
    rows = _rows(spec, queryset)
    # ``_label``: the id as we hold it (a CiString's spelling), for the differences to show; never compared.
    return {spec.key_of_held(row): {**spec.summarise_held(row), "_label": spec.label_of_held(row)} for row in rows}


def held_in_period(*, spec: ModuleSpec, partner_id: int, date_from: datetime, date_to: datetime) -> dict[Key, dict]:
    """Our copies of the partner's objects whose ``last_updated`` is in ``[date_from, date_to)`` (CDRs: whose
    ``last_updated`` is), summarised by ``spec``, by key."""
    queryset = spec.model.objects.filter(spec.held(partner_id), last_updated__gte=date_from, last_updated__lt=date_to)
    return _summaries(spec, queryset)


def own_in_period(*, spec: ModuleSpec, partner_id: int, date_from: datetime, date_to: datetime) -> list[dict]:
    """Our own objects of ``spec``'s module that its push gives ``partner_id`` (``spec.own``) with ``last_updated``
    in ``[date_from, date_to)``, oldest first: ``{"pk", "label"`` (also the outbox ``object_key``), ``"path"`` (at
    the partner's Receiver), ``"summary"}``. Two queries for locations (EVSE statuses), one otherwise."""
    queryset = spec.model.objects.filter(spec.own(partner_id), last_updated__gte=date_from, last_updated__lt=date_to)
    return [
        {
            "pk": row["id"],
            "label": spec.label_of_held(row),
            "path": spec.receiver_path_of_held(row),
            "summary": spec.summarise_held(row),
        }
        for row in _rows(spec, queryset.order_by("last_updated", "id"))
    ]


def held_by_keys(*, spec: ModuleSpec, partner_id: int, keys: Iterable[Key]) -> dict[Key, dict]:
    """Our copies of the partner's objects with these keys, whatever their ``last_updated`` (a copy we hold with
    an older ``last_updated`` than the period is outdated, not missing)."""
    keys = list(keys)
    found: dict[Key, dict] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        condition = Q()
        for country_code, party_id in {k[:2] for k in chunk}:
            ids = sorted({k[2] for k in chunk if k[:2] == (country_code, party_id)})
            condition |= Q(country_code=country_code, party_id=party_id, recon_id__in=ids)
        queryset = spec.model.objects.annotate(recon_id=Upper(spec.id_field)).filter(spec.held(partner_id), condition)
        found.update({k: v for k, v in _summaries(spec, queryset).items() if k in set(chunk)})
    return found


def reconciliation_open_differences() -> list[dict]:
    """Per partner and module, the differences its latest finished run left unrepaired, for a dashboard:
    ``[{"partner_id", "partner", "module", "run_id", "finished_at", "open"}]``, largest first, partners with none
    left out. Two queries whatever the number of partners."""
    latest = (
        ReconciliationRun.objects.filter(partner=OuterRef("partner"), module=OuterRef("module"))
        .exclude(status="running")
        .order_by("-started_at", "-id")
        .values("id")[:1]
    )
    runs = (
        ReconciliationRun.objects.exclude(status="running")
        .annotate(latest_id=Subquery(latest))
        .filter(id=F("latest_id"))
        .annotate(open=F("differences_found") - F("repaired"))
        .filter(open__gt=0)
        .select_related("partner")
        .order_by("-open", "partner_id", "module")
    )
    return [
        {
            "partner_id": run.partner_id,
            "partner": str(run.partner),
            "module": run.module,
            "run_id": run.pk,
            "finished_at": run.finished_at,
            "open": run.open,
        }
        for run in runs
    ]


def reconciliation_history(*, partner_id: int, limit: int = 50) -> QuerySet[ReconciliationRun]:
    """A partner's runs, newest first: its sync health over time."""
    return ReconciliationRun.objects.filter(partner_id=partner_id).order_by("-started_at", "-id")[:limit]


def run_counts(*, run: ReconciliationRun) -> list[tuple[str, str, int, int]]:
    """``(kind, label, found, repaired)`` per kind of a run's differences."""
    rows = (
        Difference.objects.filter(run=run)
        .values("kind")
        .annotate(found=Count("id"), fixed=Count("id", filter=Q(repaired=True)))
        .order_by("kind")
    )
    labels = dict(Difference._meta.get_field("kind").choices)
    return [(r["kind"], labels.get(r["kind"], r["kind"]), r["found"], r["fixed"]) for r in rows]
