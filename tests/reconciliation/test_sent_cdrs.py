"""The CDRs our CPO sent, read back at the eMSP's Location URL (a real HTTP stub): lost ones are POSTed again
through the outbox, differing ones reviewed, unconfirmed ones without a pending push POSTed again."""

import pytest

from roaming.cdrs.models import Cdr
from roaming.ocpi.models import OutboxMessage
from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from tests.cdrs.factories import own_cdr, own_cdr_payload
from tests.reconciliation.conftest import JUNE
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

RECEIVER = "/ocpi/2.2.1/emsp/cdrs"


@pytest.fixture
def emsp(stub_partner):
    return stub_partner("DE", "TNM", "EMSP", [("cdrs", "RECEIVER", RECEIVER)])


def test_sent_cdrs_lost_differing_or_unconfirmed_are_reported_and_reposted(stub_server, emsp):
    for cdr_id in ("C1", "C2", "C3", "C4"):
        own_cdr(cdr_id, session_id="S1")
    OutboxMessage.objects.update(status=OutboxMessage.Status.DELIVERED)
    for cdr_id in ("C1", "C2", "C3"):
        Cdr.objects.filter(cdr_id=cdr_id).update(location_url=f"{stub_server.url}{RECEIVER}/{cdr_id}")
    stub_server.route("GET", f"{RECEIVER}/C1", (200, envelope(own_cdr_payload("C1")), {}))
    stub_server.route("GET", f"{RECEIVER}/C2", (404, envelope(status_code=2003, message="Unknown CDR"), {}))
    stub_server.route("GET", f"{RECEIVER}/C3", (200, envelope(own_cdr_payload("C3", total_excl="3.00")), {}))

    run = reconciliation_run(partner_id=emsp.pk, module="cdrs", repair=True, **JUNE)

    rows = sorted(
        (d.kind, d.object_id.split("/")[-1], d.field, d.our_value if d.field else None, d.their_value, d.action,
         d.repair_outcome)
        for d in Difference.objects.filter(run=run).exclude(kind="cdr_without_session")
    )  # fmt: skip
    assert rows == [
        ("sent_cdr_differs", "C3", "total_cost.excl_vat", "4", "3", "review", ""),
        ("sent_cdr_missing", "C2", "", None, None, "repost_cdr", "queued"),
        ("sent_cdr_unconfirmed", "C4", "", None, None, "repost_cdr", "queued"),
    ]
    assert run.notes == [
        "the partner publishes no cdrs Sender: nothing to compare with its list",
        "2 of 4 CDRs we sent were read back at their Location URL",
    ]
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, partner=emsp)
    assert sorted((m.method, m.body["id"]) for m in pending) == [("POST", "C2"), ("POST", "C4")]
    assert run.repaired == 2
