"""Finance's review of CDRs: disputes with their history (who did what, when, why).

A dispute is opened with a comment and resolved with a comment as *accepted* (the CDR stands) or *credited* (it is
cancelled by a credit CDR: ours through ``cdr_credit``, a CPO's when its credit CDR arrives). ``review_status`` is
what the finance list filters on: credited > disputed > flagged (price check) > ok.
"""

from django.db import transaction

from roaming.cdrs.choices import DisputeState, EventKind, PriceCheck, ReviewStatus
from roaming.cdrs.models import Cdr, CdrEvent
from roaming.core.exceptions import InvalidInput, ObjectNotFound, StateConflict


def review_status(cdr: Cdr) -> str:
    """The finance status a CDR's facts add up to."""
    if cdr.dispute_state == DisputeState.CREDITED or cdr.credit_cdrs.exists():
        return ReviewStatus.CREDITED
    if cdr.dispute_state == DisputeState.OPEN:
        return ReviewStatus.DISPUTED
    if cdr.dispute_state != DisputeState.ACCEPTED and cdr.price_check == PriceCheck.MISMATCH:
        return ReviewStatus.FLAGGED
    return ReviewStatus.OK


def _locked(cdr_pk: int) -> Cdr:
    cdr = Cdr.objects.select_for_update().filter(pk=cdr_pk).first()
    if cdr is None:
        raise ObjectNotFound("Unknown CDR")
    return cdr


def _comment(comment: str) -> str:
    if not comment.strip():
        raise InvalidInput("a comment is required", field="comment")
    return comment.strip()


def cdr_dispute_open(*, cdr_pk: int, user, comment: str) -> Cdr:
    """Flag a CDR as disputed, with why."""
    comment = _comment(comment)
    with transaction.atomic():
        cdr = _locked(cdr_pk)
        if cdr.dispute_state == DisputeState.OPEN:
            raise StateConflict("A dispute is already open on this CDR")
        cdr.dispute_state = DisputeState.OPEN
        cdr.review_status = review_status(cdr)
        cdr.save(update_fields=["dispute_state", "review_status"])
        CdrEvent.objects.create(cdr=cdr, kind=EventKind.DISPUTE_OPENED, user=user, comment=comment)
    return cdr


def cdr_dispute_resolve(*, cdr_pk: int, user, outcome: str, comment: str) -> Cdr:
    """Resolve the open dispute as ``accepted`` or ``credited``, with why."""
    comment = _comment(comment)
    if outcome not in (DisputeState.ACCEPTED, DisputeState.CREDITED):
        raise InvalidInput("the outcome is accepted or credited", field="outcome")
    with transaction.atomic():
        cdr = _locked(cdr_pk)
        if cdr.dispute_state != DisputeState.OPEN:
            raise StateConflict("No dispute is open on this CDR")
        cdr.dispute_state = outcome
        cdr.review_status = review_status(cdr)
        cdr.save(update_fields=["dispute_state", "review_status"])
        kind = EventKind.DISPUTE_ACCEPTED if outcome == DisputeState.ACCEPTED else EventKind.DISPUTE_CREDITED
        CdrEvent.objects.create(cdr=cdr, kind=kind, user=user, comment=comment)
    return cdr
