"""One reconciliation run: compare, record, repair what is safe, notify ops.

For one partner, one module and a period (``date_from`` inclusive, ``date_to`` exclusive, on ``last_updated``):

1. where the partner publishes a Sender for the module, its list for the period is fetched with the pull engine's
   paging client (``OcpiClient.iter_pages``: ``date_from``/``date_to``/``limit``, Link or offset fallback) and
   compared, in dicts keyed by (country_code, party_id, id), with our copies (``selectors.held_in_period``, plus
   ``held_by_keys`` for objects whose copy here is older than the period);
2. for CDRs, the ones we sent are read back at their ``Location`` URL (``sent_cdrs``); for locations, tariffs,
   sessions and tokens, where the partner publishes a Receiver, our own objects it should hold are read back there
   (``own_objects``); CDRs and sessions get the completeness checks (``findings``);
3. with ``repair`` (``repairs``): an object we miss or hold outdated is stored through the module's own pull ingest
   (the one write path of pulled objects, ``PullHandler.ingest``) and compared again; a CDR the eMSP lost or never
   confirmed is POSTed again through the outbox (``cdr_push_to_owner``); a location, tariff or token the partner no
   longer lists is removed by a full pull (``sync_pull(full=True)``, the module's own removal); one of our own
   objects the partner is missing or holds differently is PUT again through the module's push, via the outbox;
4. a run that found differences mails ``RECONCILIATION_NOTIFY_EMAILS``.
"""

import logging
import time
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.directory import directory
from roaming.ocpi.status import InterfaceRole
from roaming.reconciliation.choices import Kind, Module, RunStatus
from roaming.reconciliation.models import Difference, ReconciliationRun
from roaming.reconciliation.selectors import held_by_keys, held_in_period
from roaming.reconciliation.services.findings import Finding, cdrs_completeness, compare, sessions_completeness
from roaming.reconciliation.services.own_objects import own_objects_check
from roaming.reconciliation.services.repairs import repair
from roaming.reconciliation.services.sent_cdrs import sent_cdrs_check
from roaming.reconciliation.specs import SPECS, Key

logger = logging.getLogger("roaming.reconciliation")


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
    if SPECS[run.module].own is not None:
        found, notes = own_objects_check(module=run.module, **_window(run))
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
        repair(run, differences, findings, theirs)
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
