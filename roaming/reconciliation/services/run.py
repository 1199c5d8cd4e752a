"""One reconciliation run: compare, record, repair what is safe, notify ops.

For one partner, one module and a period (``date_from`` inclusive, ``date_to`` exclusive, on ``last_updated``):

1. where the partner publishes a Sender for the module, its list for the period is fetched with the pull engine's
   paging client (``OcpiClient.iter_pages``: ``date_from``/``date_to``/``limit``, Link or offset fallback) and
   compared, in dicts keyed by (country_code, party_id, id), with our copies (``selectors.held_in_period``, plus
   ``held_by_keys`` for objects whose copy here is older than the period);
2. for CDRs, the ones we sent are read back at their ``Location`` URL (``sent_cdrs``); CDRs and sessions get the
   completeness checks (``findings``);
3. with ``repair``: an object we miss or hold outdated is stored through the module's own pull ingest (the one
   write path of pulled objects, ``PullHandler.ingest``) and compared again; a CDR the eMSP lost or never confirmed
   is POSTed again through the outbox (``cdr_push_to_owner``); a location, tariff or token the partner no longer
   lists is removed by a full pull (``sync_pull(full=True)``, the module's own removal);
4. a run that found differences mails ``RECONCILIATION_NOTIFY_EMAILS``.
"""

import logging
import time
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from roaming.cdrs.models import Cdr
from roaming.cdrs.services import cdr_push_to_owner
from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.directory import directory
from roaming.ocpi.pull import SyncError, pull_handler, sync_pull
from roaming.ocpi.status import InterfaceRole
from roaming.reconciliation.choices import Action, Kind, Module, RepairOutcome, RunStatus
from roaming.reconciliation.models import Difference, ReconciliationRun
from roaming.reconciliation.selectors import held_by_keys, held_in_period
from roaming.reconciliation.services.findings import Finding, cdrs_completeness, compare, sessions_completeness
from roaming.reconciliation.services.sent_cdrs import sent_cdrs_check
from roaming.reconciliation.specs import SPECS, Key, visible

logger = logging.getLogger("roaming.reconciliation")

INGEST_BATCH = 1000


def _their_list(*, partner_id: int, module: str, url: str, date_from: datetime, date_to: datetime) -> dict[Key, dict]:
    """The partner's Sender list for the period, by key (of two copies, the later page's wins)."""
    spec = SPECS[module]
    client = directory().client(partner_id, module=module, interface=InterfaceRole.SENDER)
    params = {
        "date_from": format_datetime(date_from),
        "date_to": format_datetime(date_to),
        "limit": settings.OCPI_PULL_PAGE_LIMIT,
    }
    theirs: dict[Key, dict] = {}
    for page in client.iter_pages(url, params=params, module=module):
        objects = page.data if isinstance(page.data, list) else ([page.data] if page.data else [])
        for obj in objects:
            key = spec.key_of_ocpi(obj)
            if key is not None:
                theirs[key] = obj
    return theirs


def _compare_with_sender(run: ReconciliationRun, url: str) -> tuple[list[Finding], dict[Key, dict]]:
    spec = SPECS[run.module]
    started = time.perf_counter()
    theirs = _their_list(
        partner_id=run.partner_id, module=run.module, url=url, date_from=run.date_from, date_to=run.date_to
    )
    listed = time.perf_counter()
    ours = held_in_period(spec=spec, partner_id=run.partner_id, date_from=run.date_from, date_to=run.date_to)
    absent = ours.keys() - theirs.keys()
    now = timezone.now()
    if absent and run.date_to < now:
        # The partner may have changed them since the period: its later copy is not in the period's list. Ask for
        # what changed after the period and compare those with their current copy rather than call them missing.
        later = _their_list(partner_id=run.partner_id, module=run.module, url=url, date_from=run.date_to, date_to=now)
        moved = absent & later.keys()
        theirs.update({key: later[key] for key in moved})
        if moved:
            run.notes.append(f"{len(moved)} objects changed by the partner after the period: compared as they are now")
    older = theirs.keys() - ours.keys()
    # An object we hold with an older last_updated than the period is outdated here, not missing.
    ours_all = {**ours, **held_by_keys(spec=spec, partner_id=run.partner_id, keys=older)} if older else ours
    run.compared_ours, run.compared_theirs = len(ours), len(theirs)
    findings = compare(spec=spec, theirs=theirs, ours=ours_all)
    run.notes.append(
        f"compared {run.compared_theirs} objects the partner listed with {run.compared_ours} held (list read in "
        f"{listed - started:.1f} s, ours read and compared in {time.perf_counter() - listed:.1f} s)"
    )
    return findings, theirs


def _window(run: ReconciliationRun) -> dict:
    return {"partner_id": run.partner_id, "date_from": run.date_from, "date_to": run.date_to}


def _findings(run: ReconciliationRun) -> tuple[list[Finding], dict[Key, dict]]:
    """The comparison with the partner's list and, for CDRs, with the eMSP's copies of the CDRs we sent."""
    findings: list[Finding] = []
    theirs: dict[Key, dict] = {}
    url = directory().endpoint_url(run.partner_id, run.module, InterfaceRole.SENDER)
    if url:
        found, theirs = _compare_with_sender(run, url)
        findings += found
    else:
        run.notes.append(f"the partner publishes no {run.module} Sender: nothing to compare with its list")
    if run.module == Module.CDRS:
        found, notes = sent_cdrs_check(**_window(run))
        findings += found
        run.notes += notes
    return findings, theirs


def _completeness(run: ReconciliationRun) -> list[Finding]:
    """Our own completeness, checked after the repairs (a session just fetched as COMPLETED is not stuck)."""
    if run.module == Module.CDRS:
        return cdrs_completeness(**_window(run))
    if run.module == Module.SESSIONS:
        return sessions_completeness(**_window(run))
    return []


def _store(run: ReconciliationRun, findings: list[Finding]) -> list[Difference]:
    return Difference.objects.bulk_create(
        [
            Difference(
                run=run,
                kind=f.kind,
                object_id=f.object_id[:200],
                field=f.field,
                our_value=f.ours,
                their_value=f.theirs,
                action=f.action,
            )
            for f in findings
        ],
        batch_size=2000,
    )


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


def _repair(run: ReconciliationRun, differences: list[Difference], findings: list[Finding], theirs) -> None:
    keys = {d.pk: f.key for d, f in zip(differences, findings, strict=True)}
    fetch = [d for d in differences if d.action == Action.FETCH and keys[d.pk] in theirs]
    repost = [d for d in differences if d.action == Action.REPOST_CDR]
    full_pull = [d for d in differences if d.action == Action.FULL_PULL]
    if fetch:
        _repair_fetch(run, fetch, theirs, keys)
    if repost:
        _repair_repost(repost, keys)
    if full_pull:
        _repair_full_pull(run, full_pull)
    changed = fetch + repost + full_pull
    Difference.objects.bulk_update(changed, ["repaired", "repair_outcome", "repair_message"], batch_size=2000)


def _notify(run: ReconciliationRun) -> None:
    recipients = settings.RECONCILIATION_NOTIFY_EMAILS
    if not recipients or not run.differences_found:
        return
    lines = [f"{count} {Kind(kind).label}" for kind, count in sorted(run.counts.items())]
    body = "\n".join(
        [
            f"Reconciliation of {run.get_module_display()} with {run.partner} for "
            f"{format_datetime(run.date_from)} to {format_datetime(run.date_to)}:",
            f"{run.differences_found} differences, {run.repaired} repaired, {run.open_differences} open.",
            "",
            *lines,
        ]
    )
    subject = f"Reconciliation: {run.open_differences} open differences with {run.partner} ({run.module})"
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # the run is recorded either way; a mail server outage must not fail it
        logger.exception("reconciliation %s: the notification could not be sent", run.pk)


def reconciliation_start(
    *,
    partner_id: int,
    module: str,
    date_from: datetime,
    date_to: datetime,
    repair: bool = False,
    started_by: str = "",
) -> ReconciliationRun:
    """Record a run (``RUNNING``) for ``reconciliation_execute`` to carry out, e.g. in a worker. Refuses
    (``ValueError``) an unknown module or an empty period."""
    if module not in SPECS:
        raise ValueError(f"unknown module {module!r}; one of {', '.join(SPECS)}")
    if date_to <= date_from:
        raise ValueError("the period ends before it starts")
    return ReconciliationRun.objects.create(
        partner_id=partner_id, module=module, date_from=date_from, date_to=date_to, repair=repair, started_by=started_by
    )


def reconciliation_execute(*, run_id: int) -> ReconciliationRun:
    """Carry out a recorded run (see the module docstring) and return it finished (``FAILED`` when the partner's
    list could not be read: what could be checked locally is kept). A run already finished is returned as is."""
    run = ReconciliationRun.objects.select_related("partner").get(pk=run_id)
    if run.finished_at is not None:
        return run
    run.notes = []
    try:
        if directory().state(run.partner_id) != "active":
            raise OcpiClientError("the partner is not registered, or suspended: it was not asked")
        findings, theirs = _findings(run)
    except OcpiClientError as exc:
        run.status, run.last_error = RunStatus.FAILED, exc.message[:4000]
        findings, theirs = [], {}
        logger.warning("reconciliation %s with partner %s failed: %s", run.pk, run.partner_id, exc.message)
    differences = _store(run, findings)
    if run.repair and differences:
        _repair(run, differences, findings, theirs)
    local = _completeness(run)
    differences += _store(run, local)
    findings += local
    run.counts = dict(Counter(f.kind for f in findings))
    run.differences_found = len(differences)
    run.repaired = sum(1 for d in differences if d.repaired)
    if run.status == RunStatus.RUNNING:
        run.status = RunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    logger.info(
        "reconciliation %s of %s with partner %s: %s differences, %s repaired",
        run.pk,
        run.module,
        run.partner_id,
        run.differences_found,
        run.repaired,
    )
    _notify(run)
    return run


def reconciliation_run(
    *,
    partner_id: int,
    module: str,
    date_from: datetime,
    date_to: datetime,
    repair: bool = False,
    started_by: str = "",
) -> ReconciliationRun:
    """Reconcile ``module`` with ``partner_id`` for ``[date_from, date_to)`` now (``reconciliation_start`` then
    ``reconciliation_execute``)."""
    run = reconciliation_start(
        partner_id=partner_id,
        module=module,
        date_from=date_from,
        date_to=date_to,
        repair=repair,
        started_by=started_by,
    )
    return reconciliation_execute(run_id=run.pk)
