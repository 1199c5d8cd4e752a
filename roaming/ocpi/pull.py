"""The pull engine: fetch a partner's SENDER endpoint page by page and hand each page to the module.

transport_and_format.asciidoc (Pagination) and the "offline behaviour" section: the receiver keeps itself in sync by
GETting the sender's list with ``date_from``. A run:

* starts from ``date_from`` = the start of the last successful run minus ``OCPI_PULL_CLOCK_SKEW_SECONDS`` (objects
  changed while it ran are fetched again next time, never missed, even if the partner's clock runs behind ours), or
  from nothing for a full pull;
* follows ``Link: rel="next"`` and gives each page to the module's ``ingest`` callable, which upserts it and
  reports accepted / ignored / rejected objects (one bad object never sinks a page);
* saves the next page URL after every page, so a run that failed or whose worker died resumes where it stopped;
* never runs twice at once for the same partner and module;
* after a *complete* full pull (started from nothing, every page fetched in this one go, not resumed), asks the
  module to mark removed what the partner no longer returned (``PullHandler.remove_missing``: locations' EVSEs
  REMOVED, tariffs retired, tokens invalid) and records it in the run. An incremental pull never removes anything:
  it only sees what changed. A resumed run does not either: the pages fetched before the interruption are gone.
"""

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.directory import directory
from roaming.ocpi.locks import exclusive
from roaming.ocpi.models import SyncRun
from roaming.ocpi.status import InterfaceRole

logger = logging.getLogger("roaming.ocpi.pull")

MAX_STORED_ERRORS = 50


MAX_STORED_REMOVED_IDS = 1000


def object_key_of(obj) -> tuple | None:
    """The key a partner object is held under: ``(COUNTRY_CODE, PARTY_ID, ID)`` upper-cased (CiStrings), or None
    for an object without one (it cannot be matched, so a full pull that met one removes nothing)."""
    if not isinstance(obj, dict):
        return None
    parts = (obj.get("country_code"), obj.get("party_id"), obj.get("id"))
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return tuple(p.upper() for p in parts)


@dataclass(frozen=True)
class PullHandler:
    """How a module ingests pulled objects: ``ingest(partner_id=..., objects=[...]) -> {"accepted": n,
    "ignored": n, "rejected": [messages]}``.

    ``remove_missing(partner_id=..., seen={keys}, before=datetime) -> [removed ids]`` (optional) marks removed the
    partner's objects not in ``seen`` and received before ``before`` (the run's start: an object pushed while the
    pull ran is not in its pages but is no less alive); ``key(obj)`` gives a pulled object's key in the form
    ``remove_missing`` compares (default ``object_key_of``)."""

    module: str
    ingest: Callable[..., dict]
    date_from_required: bool = False
    remove_missing: Callable[..., list[str]] | None = None
    key: Callable[[dict], tuple | None] = object_key_of


_handlers: dict[str, PullHandler] = {}


def register_pull_handler(handler: PullHandler) -> None:
    _handlers[handler.module] = handler


def pull_handler(module: str) -> PullHandler | None:
    """The registered handler of ``module`` (its ``ingest`` is the module's one write path for pulled objects)."""
    return _handlers.get(module)


def pull_modules() -> list[str]:
    return sorted(_handlers)


class SyncError(Exception):
    pass


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a page is fetched or ingested, back as it was after.

    A page of 1,000 Locations (its JSON parsed, validated, written) allocates a few hundred thousand containers
    that live until the page is written, so the collector's allocation counters kept triggering full (oldest
    generation) collections, each walking every object of the process: 0.1-0.2 s per page, as much as validating
    it (bench/bench_locations.py). The page's objects are freed by reference counting; what cyclic garbage it
    leaves is collected once the collector runs again. Process-wide: a worker thread's other tasks just see no
    collection for that time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _collector_paused_while_fetching(pages: Iterator) -> Iterator:
    """``pages`` with the collector paused while each one is fetched and parsed (a page's JSON is as many
    containers as its objects), not while the caller holds it."""
    while True:
        with collector_paused():
            page = next(pages, None)
        if page is None:
            return
        yield page


def sync_pull(*, partner_id: int, module: str, full: bool = False) -> SyncRun | None:
    """Run (or resume) one pull; return the run, or None when one is already in progress elsewhere."""
    handler = _handlers.get(module)
    if handler is None:
        raise SyncError(f"no pull handler for module '{module}'")
    if directory().state(partner_id) != "active":
        raise SyncError("the partner is not registered")
    base_url = directory().endpoint_url(partner_id, module, InterfaceRole.SENDER)
    if not base_url:
        raise SyncError(f"the partner publishes no {module} SENDER endpoint")
    # A database advisory lock (roaming.ocpi.locks): one pull per partner and module however long it runs.
    with exclusive(f"ocpi:sync:{partner_id}:{module}", fallback_ttl=settings.OCPI_PULL_STALE_SECONDS) as taken:
        if not taken:
            return None
        run = _resumable_run(partner_id, module, full) or _new_run(partner_id, module, full)
        return _execute(run, handler, base_url)


def _resumable_run(partner_id: int, module: str, full: bool) -> SyncRun | None:
    latest = SyncRun.objects.filter(partner_id=partner_id, module=module).order_by("-started_at", "-id").first()
    if latest is None or latest.status == SyncRun.Status.SUCCEEDED or not latest.resume_url:
        return None
    if full and not latest.full:
        return None
    # A run interrupted by a crash (still "running") or a failed page resumes from its saved next page.
    if latest.started_at < timezone.now() - timedelta(days=1):
        return None  # too old: the partner's offsets have moved on, start over
    latest.status = SyncRun.Status.RUNNING
    latest.last_error = ""
    latest.save(update_fields=["status", "last_error"])
    logger.info("resuming pull %s from %s", latest.pk, latest.resume_url)
    return latest


def _new_run(partner_id: int, module: str, full: bool) -> SyncRun:
    date_from = None
    if not full:
        last_ok = (
            SyncRun.objects.filter(partner_id=partner_id, module=module, status=SyncRun.Status.SUCCEEDED)
            .order_by("-started_at")
            .first()
        )
        # Our clock and the partner's differ: ask from a little earlier, so an object it stamped just before our
        # last run started (by its clock) is not missed. Re-reading a few objects is harmless (upserts).
        margin = timedelta(seconds=settings.OCPI_PULL_CLOCK_SKEW_SECONDS)
        date_from = last_ok.started_at - margin if last_ok else None
    return SyncRun.objects.create(partner_id=partner_id, module=module, full=full, date_from=date_from)


def _execute(run: SyncRun, handler: PullHandler, base_url: str) -> SyncRun:
    client = directory().client(run.partner_id, module=run.module, interface=InterfaceRole.SENDER)
    # Only a full run that fetches every page in this one go sees the partner's whole list.
    complete = run.full and not run.resume_url and run.pages == 0
    seen: set = set()
    if run.resume_url:
        url, params = run.resume_url, None
    else:
        url, params = base_url, {"limit": settings.OCPI_PULL_PAGE_LIMIT}
        if run.date_from is not None:
            params["date_from"] = format_datetime(run.date_from)
        elif handler.date_from_required:
            params["date_from"] = "1970-01-01T00:00:00Z"
        # An explicit upper bound (exclusive, mod_*.asciidoc Sender GET): py-ocpi defaults date_to to its own
        # start-up time, hiding everything changed since. Changes after this run started are fetched by the next
        # one, which starts from this run's start.
        params["date_to"] = format_datetime(run.started_at)
    try:
        pages = client.iter_pages(url, params=params, module=run.module)
        for page in _collector_paused_while_fetching(pages):
            objects = page.data if isinstance(page.data, list) else ([page.data] if page.data else [])
            with collector_paused():
                report = handler.ingest(partner_id=run.partner_id, objects=objects)
            if complete and handler.remove_missing is not None:
                for obj in objects:
                    key = handler.key(obj)
                    if key is None:
                        complete = False  # an object we cannot match: removing by absence would be a guess
                        break
                    seen.add(key)
            run.pages += 1
            run.received += len(objects)
            run.accepted += report.get("accepted", 0)
            run.ignored += report.get("ignored", 0)
            rejected = report.get("rejected", [])
            run.rejected += len(rejected)
            room = MAX_STORED_ERRORS - len(run.errors)
            if room > 0:
                run.errors = [*run.errors, *[str(r)[:500] for r in rejected[:room]]]
            run.resume_url = page.following or ""
            run.heartbeat_at = timezone.now()
            run.save()
    except OcpiClientError as exc:
        run.status = SyncRun.Status.FAILED
        run.last_error = exc.message[:4000]
        run.finished_at = timezone.now()
        run.save()
        logger.warning("pull %s of %s from partner %s failed: %s", run.pk, run.module, run.partner_id, exc.message)
        return run
    if complete and handler.remove_missing is not None:
        removed = handler.remove_missing(partner_id=run.partner_id, seen=seen, before=run.started_at)
        run.removed = len(removed)
        run.removed_ids = sorted(removed)[:MAX_STORED_REMOVED_IDS]
    run.status = SyncRun.Status.SUCCEEDED
    run.resume_url = ""
    run.finished_at = timezone.now()
    run.save()
    logger.info(
        "pull %s of %s from partner %s: %s pages, %s accepted, %s ignored, %s rejected, %s removed",
        run.pk,
        run.module,
        run.partner_id,
        run.pages,
        run.accepted,
        run.ignored,
        run.rejected,
        run.removed,
    )
    return run


def sync_runs_prune(*, older_than_days: int | None = None) -> int:
    """Delete finished runs older than ``OCPI_SYNC_RUN_RETENTION_DAYS``, except each partner and module's latest
    successful run: the next incremental pull starts from it. Returns how many were deleted."""
    days = settings.OCPI_SYNC_RUN_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    later_success = SyncRun.objects.filter(
        partner_id=OuterRef("partner_id"),
        module=OuterRef("module"),
        status=SyncRun.Status.SUCCEEDED,
        started_at__gt=OuterRef("started_at"),
    )
    finished = [SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED]
    old = SyncRun.objects.filter(status__in=finished, started_at__lt=cutoff).exclude(
        Q(status=SyncRun.Status.SUCCEEDED) & ~Exists(later_success)
    )
    deleted, _ = old.delete()
    return deleted
