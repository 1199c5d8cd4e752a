"""The CDRs we sent (our CPO, mod_cdrs.asciidoc "Push model"): GET each at the ``Location`` URL the eMSP answered
our POST with (``Cdr.location_url``, ``readback``) and report those it no longer has, holds differently, or never
confirmed."""

from datetime import datetime

from roaming.cdrs.choices import Direction
from roaming.cdrs.models import Cdr
from roaming.ocpi.models import OutboxMessage
from roaming.reconciliation.choices import Action, Kind
from roaming.reconciliation.services.findings import Finding
from roaming.reconciliation.services.readback import read_back
from roaming.reconciliation.specs import SPECS

MAX_REPORTED_ERRORS = 5


def sent_cdrs_check(*, partner_id: int, date_from: datetime, date_to: datetime) -> tuple[list[Finding], list[str]]:
    """Findings and notes for the CDRs we sent ``partner_id`` with ``last_updated`` in the period."""
    spec = SPECS["cdrs"]
    cdrs = list(
        Cdr.objects.filter(
            direction=Direction.SENT, partner_id=partner_id, last_updated__gte=date_from, last_updated__lt=date_to
        ).values("pk", "location_url", "confirmed_at", *spec.fields)
    )
    if not cdrs:
        return [], []
    pending = set(
        OutboxMessage.objects.filter(
            partner_id=partner_id, module="cdrs", status=OutboxMessage.Status.PENDING
        ).values_list("object_key", flat=True)
    )
    findings, errors, checked = [], [], 0
    located = []
    for row in cdrs:
        label = f"{row['country_code']}/{row['party_id']}/{row['cdr_id']}"
        ours = spec.summarise_held(row)
        if row["location_url"]:
            located.append(((row, label, ours), row["location_url"], ours))
        elif row["confirmed_at"] is None:
            action = Action.REVIEW if label in pending else Action.REPOST_CDR
            findings.append(Finding(Kind.SENT_CDR_UNCONFIRMED, label, action, ours=ours, key=("pk", row["pk"])))
    for (row, label, ours), found in read_back(partner_id=partner_id, module="cdrs", items=located):
        if found.missing:
            findings.append(Finding(Kind.SENT_CDR_MISSING, label, Action.REPOST_CDR, ours=ours, key=("pk", row["pk"])))
            continue
        if found.error:
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(f"CDR {label}: could not be checked at {row['location_url']} ({found.error})")
            continue
        checked += 1
        for name in found.differing:
            findings.append(
                Finding(Kind.SENT_CDR_DIFFERS, label, Action.REVIEW, name, ours.get(name), found.theirs.get(name))
            )
    notes = [f"{checked} of {len(cdrs)} CDRs we sent were read back at their Location URL", *errors]
    return findings, notes
