"""Findings before they are stored: the comparison of the partner's list with what we hold, and our own
completeness (sessions without CDR, CDRs without session, sessions stuck ACTIVE)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from roaming.cdrs.models import Cdr
from roaming.ocpi.datetimes import format_datetime
from roaming.reconciliation.choices import Action, Kind
from roaming.reconciliation.specs import Key, ModuleSpec, last_updated_of, visible
from roaming.sessions.choices import SessionStatus
from roaming.sessions.models import ChargingSession

#: partner-owned objects a full pull removes when the partner no longer lists them
REMOVABLE = frozenset({"locations", "tariffs", "tokens"})


@dataclass
class Finding:
    """One difference, before it is stored; ``key`` ties it to the partner's object a repair fetches."""

    kind: str
    object_id: str
    action: str
    field: str = ""
    ours: Any = None
    theirs: Any = None
    key: Key | None = None


def compare(*, spec: ModuleSpec, theirs: dict[Key, dict], ours: dict[Key, dict]) -> list[Finding]:
    """Compare the partner's objects (OCPI JSON by key) with our summaries (by key): one finding per object missing
    on either side and per field that differs. A newer partner copy is ``OUTDATED_HERE``; a differing one is
    fetched when the partner's copy is at least as recent as ours (it owns the object), reviewed otherwise and
    always for CDRs (immutable). One we hold that the partner no longer lists is removed by a full pull
    (locations, tariffs, tokens) unless it is removed here already."""
    findings = []
    for key, obj in theirs.items():
        label = spec.label_of_ocpi(obj)
        summary = spec.summarise_ocpi(obj)
        held = ours.get(key)
        if held is not None:
            held = visible(held)
        if held is None:
            findings.append(Finding(Kind.MISSING_HERE, label, Action.FETCH, theirs=summary, key=key))
            continue
        changed = [name for name in summary.keys() | held.keys() if summary.get(name) != held.get(name)]
        if not changed:
            continue
        theirs_at, ours_at = last_updated_of(summary, obj), last_updated_of(held)
        newer = theirs_at is not None and ours_at is not None and theirs_at > ours_at
        kind = Kind.OUTDATED_HERE if newer else Kind.DIFFERS
        if spec.immutable or (theirs_at is not None and ours_at is not None and theirs_at < ours_at):
            action = Action.REVIEW
        else:
            action = Action.FETCH
        for name in sorted(changed):
            findings.append(Finding(kind, label, action, name, held.get(name), summary.get(name), key))
    missing_action = Action.FULL_PULL if spec.module in REMOVABLE else Action.REVIEW
    for key in ours.keys() - theirs.keys():
        if spec.is_removed(ours[key]):
            continue  # removed here already (a full pull, or the partner's own update): we agree
        label = ours[key].get("_label") or "/".join(key)
        findings.append(Finding(Kind.MISSING_THERE, label, missing_action, ours=visible(ours[key]), key=key))
    return findings


def _session_label(session) -> str:
    return f"{session.country_code}/{session.party_id}/{session.session_id}"


def sessions_completeness(*, partner_id: int, date_from: datetime, date_to: datetime) -> list[Finding]:
    """Sessions with this partner (received from it as CPO, or ours for its drivers as eMSP) started in the period:
    ACTIVE for longer than ``RECONCILIATION_ACTIVE_SESSION_MAX_HOURS``, or COMPLETED more than
    ``RECONCILIATION_CDR_GRACE_HOURS`` ago with no CDR (mod_cdrs.asciidoc: a CDR follows every finished session)."""
    now = timezone.now()
    with_partner = Q(source_partner_id=partner_id) | Q(emsp_partner_id=partner_id)
    sessions = ChargingSession.objects.filter(with_partner, start_date_time__gte=date_from, start_date_time__lt=date_to)
    findings = []
    stuck_before = now - timedelta(hours=settings.RECONCILIATION_ACTIVE_SESSION_MAX_HOURS)
    for session in sessions.filter(status=SessionStatus.ACTIVE, start_date_time__lt=stuck_before).only(
        "country_code", "party_id", "session_id", "start_date_time", "status"
    ):
        ours = {"status": session.status, "start_date_time": format_datetime(session.start_date_time)}
        findings.append(Finding(Kind.SESSION_STUCK_ACTIVE, _session_label(session), Action.REVIEW, "status", ours))
    has_cdr = Cdr.objects.filter(
        country_code=OuterRef("country_code"), party_id=OuterRef("party_id"), session_id=OuterRef("session_id")
    )
    grace_before = now - timedelta(hours=settings.RECONCILIATION_CDR_GRACE_HOURS)
    orphans = (
        sessions.filter(status=SessionStatus.COMPLETED, end_date_time__lt=grace_before)
        .exclude(Exists(has_cdr))
        .only("country_code", "party_id", "session_id", "end_date_time")
    )
    for session in orphans:
        ours = {"status": "COMPLETED", "end_date_time": format_datetime(session.end_date_time)}
        findings.append(Finding(Kind.SESSION_WITHOUT_CDR, _session_label(session), Action.REVIEW, "cdr", ours))
    return findings


def cdrs_completeness(*, partner_id: int, date_from: datetime, date_to: datetime) -> list[Finding]:
    """CDRs with this partner (received from it, or sent to it) in the period that name no session we hold
    (credit CDRs excepted: they repeat the credited CDR's session)."""
    has_session = ChargingSession.objects.filter(
        country_code=OuterRef("country_code"), party_id=OuterRef("party_id"), session_id=OuterRef("session_id")
    )
    cdrs = (
        Cdr.objects.filter(partner_id=partner_id, last_updated__gte=date_from, last_updated__lt=date_to, credit=False)
        .exclude(Exists(has_session))
        .only("country_code", "party_id", "cdr_id", "session_id")
    )
    return [
        Finding(
            Kind.CDR_WITHOUT_SESSION,
            f"{cdr.country_code}/{cdr.party_id}/{cdr.cdr_id}",
            Action.REVIEW,
            "session_id",
            {"session_id": cdr.session_id or None},
        )
        for cdr in cdrs
    ]
