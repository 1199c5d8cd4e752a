"""Finance's review: disputes with history, and the quarantine (accept by hand with who and why, discard)."""

import pytest

from roaming.cdrs.choices import DisputeState, EventKind, QuarantineStatus, ReviewStatus
from roaming.cdrs.models import Cdr, QuarantinedCdr
from roaming.cdrs.services import (
    cdr_dispute_open,
    cdr_dispute_resolve,
    cdr_quarantine,
    quarantine_accept,
    quarantine_discard,
)
from roaming.core.exceptions import InvalidInput, StateConflict
from tests.cdrs.factories import cdr_payload, received_cdr

pytestmark = pytest.mark.django_db


def test_dispute_open_then_resolve_keeps_who_did_what(cpo, admin_user, django_user_model):
    finance = django_user_model.objects.create_user("fin", password="x")
    cdr = received_cdr(cpo[0])
    cdr_dispute_open(cdr_pk=cdr.pk, user=finance, comment="double charge?")
    cdr.refresh_from_db()
    assert (cdr.dispute_state, cdr.review_status) == (DisputeState.OPEN, ReviewStatus.DISPUTED)
    with pytest.raises(StateConflict):
        cdr_dispute_open(cdr_pk=cdr.pk, user=finance, comment="again")
    cdr_dispute_resolve(cdr_pk=cdr.pk, user=admin_user, outcome="accepted", comment="CPO explained")
    cdr.refresh_from_db()
    assert (cdr.dispute_state, cdr.review_status) == (DisputeState.ACCEPTED, ReviewStatus.OK)
    history = list(cdr.events.values_list("kind", "user__username", "comment"))
    assert history[1:] == [
        (EventKind.DISPUTE_OPENED, "fin", "double charge?"),
        (EventKind.DISPUTE_ACCEPTED, "admin", "CPO explained"),
    ]


def test_dispute_resolved_as_credited(cpo, admin_user):
    cdr = received_cdr(cpo[0])
    cdr_dispute_open(cdr_pk=cdr.pk, user=admin_user, comment="too expensive")
    cdr_dispute_resolve(cdr_pk=cdr.pk, user=admin_user, outcome="credited", comment="CPO will credit")
    cdr.refresh_from_db()
    assert cdr.review_status == ReviewStatus.CREDITED


def test_dispute_needs_a_comment_and_an_open_dispute_to_resolve(cpo, admin_user):
    cdr = received_cdr(cpo[0])
    with pytest.raises(InvalidInput):
        cdr_dispute_open(cdr_pk=cdr.pk, user=admin_user, comment="")
    with pytest.raises(StateConflict):
        cdr_dispute_resolve(cdr_pk=cdr.pk, user=admin_user, outcome="accepted", comment="x")
    cdr_dispute_open(cdr_pk=cdr.pk, user=admin_user, comment="x")
    with pytest.raises(InvalidInput):
        cdr_dispute_resolve(cdr_pk=cdr.pk, user=admin_user, outcome="maybe", comment="x")


def test_accept_by_hand_stores_a_flagged_cdr_with_who_and_why(cpo, admin_user):
    raw = cdr_payload(charging_periods=[])
    del raw["cdr_token"]["party_id"]
    raw["cdr_location"]["country"] = "BE"
    entry = cdr_quarantine(partner_id=cpo[0].pk, raw=raw, problems=["..."])
    cdr = quarantine_accept(entry_id=entry.pk, user=admin_user, reason="known CPO defect, amounts verified")
    assert cdr.accepted_by_hand and cdr.location_country == "BEL" and cdr.charging_periods == []
    assert cdr.raw == raw
    event = cdr.events.get(kind=EventKind.ACCEPTED_BY_HAND)
    assert (event.user, event.comment) == (admin_user, "known CPO defect, amounts verified")
    entry.refresh_from_db()
    assert (entry.status, entry.resolved_by, entry.stored_cdr) == (QuarantineStatus.ACCEPTED, admin_user, cdr)
    with pytest.raises(StateConflict, match="no longer held"):
        quarantine_accept(entry_id=entry.pk, user=admin_user, reason="again")


def test_accept_by_hand_refuses_what_cannot_be_stored_even_leniently(cpo, admin_user):
    raw = cdr_payload()
    del raw["total_cost"]
    entry = cdr_quarantine(partner_id=cpo[0].pk, raw=raw, problems=["total_cost: This field is required."])
    with pytest.raises(InvalidInput, match="total_cost: This field is required"):
        quarantine_accept(entry_id=entry.pk, user=admin_user, reason="try")
    with pytest.raises(InvalidInput):
        quarantine_accept(entry_id=entry.pk, user=admin_user, reason="")
    assert not Cdr.objects.exists()


def test_discard_keeps_the_entry_with_who_and_why(cpo, admin_user):
    entry = cdr_quarantine(partner_id=cpo[0].pk, raw={"id": "X"}, problems=["everything"])
    quarantine_discard(entry_id=entry.pk, user=admin_user, reason="test data from the CPO")
    entry = QuarantinedCdr.objects.get()
    assert (entry.status, entry.resolved_by, entry.resolution_comment) == (
        QuarantineStatus.DISCARDED,
        admin_user,
        "test data from the CPO",
    )
