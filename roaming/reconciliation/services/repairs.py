"""Repairs of a reconciliation run, each through the module's own write path: an object we miss or hold outdated
is stored through the module's pull ingest (``PullHandler.ingest``) and compared again; a CDR the eMSP lost or never
confirmed is POSTed again through the outbox (``cdr_push_to_owner``); a location, tariff or token the partner no
longer lists is removed by a full pull (``sync_pull(full=True)``); one of our own objects the partner is missing or
holds differently is PUT again through the module's push (``own_objects``)."""

from django.db import transaction

from roaming.cdrs.models import Cdr
from roaming.cdrs.services import cdr_push_to_owner
from roaming.ocpi.pull import SyncError, pull_handler, sync_pull
from roaming.reconciliation.choices import Action, RepairOutcome
from roaming.reconciliation.models import Difference, ReconciliationRun
from roaming.reconciliation.selectors import held_by_keys
from roaming.reconciliation.services.findings import Finding
from roaming.reconciliation.services.own_objects import own_objects_repush
from roaming.reconciliation.specs import SPECS, Key, visible

INGEST_BATCH = 1000


def _repair_fetch(run: ReconciliationRun, differences: list[Difference], theirs: dict[Key, dict], keys: dict) -> None:
    """Store the partner's copies through the module's pull ingest, then compare each again: repaired when ours now
    matches theirs."""
    spec = SPECS[run.module]
    handler = pull_handler(run.module)
    wanted = sorted({keys[d.pk] for d in differences}, key=str)
    rejected: list[str] = []
    for start in range(0, len(wanted), INGEST_BATCH):
        batch = [theirs[k] for k in wanted[start : start + INGEST_BATCH]]
        rejected += handler.ingest(partner_id=run.partner_id, objects=batch).get("rejected", [])
    now_held = held_by_keys(spec=spec, partner_id=run.partner_id, keys=wanted)
    for difference in differences:
        key = keys[difference.pk]
        held = now_held.get(key)
        if held is not None and visible(held) == spec.summarise_ocpi(theirs[key]):
            difference.repaired, difference.repair_outcome = True, RepairOutcome.REPAIRED
            difference.repair_message = "the partner's copy was stored"
        else:
            difference.repair_outcome = RepairOutcome.FAILED
            reasons = [r for r in rejected if key[-1].lower() in r.lower()] or rejected[:1]
            difference.repair_message = ("; ".join(reasons) or "stored copy still differs")[:2000]


def _repair_repost(differences: list[Difference], keys: dict) -> None:
    """POST again, through the outbox, the CDRs the eMSP lost or never confirmed (mod_cdrs.asciidoc, Push model)."""
    by_pk = Cdr.objects.in_bulk([keys[d.pk][1] for d in differences])
    with transaction.atomic():
        for difference in differences:
            cdr = by_pk.get(keys[difference.pk][1])
            queued = cdr is not None and cdr_push_to_owner(cdr=cdr)
            difference.repaired = bool(queued)
            difference.repair_outcome = RepairOutcome.QUEUED if queued else RepairOutcome.FAILED
            difference.repair_message = "POST queued in the outbox" if queued else "no partner owns the token"


def _repair_full_pull(run: ReconciliationRun, differences: list[Difference]) -> None:
    """A full pull (``roaming.ocpi.pull``), which marks removed what the partner no longer lists, through the
    module's own removal; each object is repaired when the pull removed it."""
    try:
        pulled = sync_pull(partner_id=run.partner_id, module=run.module, full=True)
    except SyncError as exc:
        pulled, message = None, str(exc)
    else:
        message = "a pull of this partner and module is already running" if pulled is None else pulled.last_error
    succeeded = pulled is not None and pulled.status == "succeeded"
    removed = {r.upper() for r in pulled.removed_ids} if succeeded else set()
    run.notes.append(f"full pull {pulled.pk}: {pulled.removed} removed" if succeeded else f"full pull: {message}")
    for difference in differences:
        if difference.object_id.upper() in removed:
            difference.repaired, difference.repair_outcome = True, RepairOutcome.REPAIRED
            difference.repair_message = f"removed by full pull {pulled.pk}"
        else:
            difference.repair_outcome = RepairOutcome.FAILED
            difference.repair_message = (message or "the full pull did not remove it")[:2000]


def repair(run: ReconciliationRun, differences: list[Difference], findings: list[Finding], theirs) -> None:
    """Apply each stored difference's suggested action where it is automatic (``AUTOMATIC_ACTIONS``) and record
    the outcomes; ``findings`` are the differences' findings, in the same order, ``theirs`` the partner's list."""
    keys = {d.pk: f.key for d, f in zip(differences, findings, strict=True)}
    fetch = [d for d in differences if d.action == Action.FETCH and keys[d.pk] in theirs]
    repost = [d for d in differences if d.action == Action.REPOST_CDR]
    full_pull = [d for d in differences if d.action == Action.FULL_PULL]
    repush = [d for d in differences if d.action == Action.REPUSH]
    if fetch:
        _repair_fetch(run, fetch, theirs, keys)
    if repost:
        _repair_repost(repost, keys)
    if full_pull:
        _repair_full_pull(run, full_pull)
    if repush:
        own_objects_repush(partner_id=run.partner_id, module=run.module, differences=repush, keys=keys)
    changed = fetch + repost + full_pull + repush
    Difference.objects.bulk_update(changed, ["repaired", "repair_outcome", "repair_message"], batch_size=2000)
