"""A reconciliation run against a partner's Sender (a real HTTP stub): what differs, each difference's kind,
values and action, the safe repairs, and the mail to ops."""

import pytest
from django.core import mail

from roaming.cdrs.models import Cdr
from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from roaming.sessions.models import ChargingSession
from roaming.sessions.services.receive import sessions_ingest_page
from tests.cdrs.factories import cdr_payload, received_cdr
from tests.reconciliation.conftest import CDRS, JUNE, SESSIONS, serve, session_example
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db


def found(run):
    return sorted(
        (d.kind, d.object_id, d.field, d.our_value, d.their_value, d.action, d.repair_outcome)
        for d in Difference.objects.filter(run=run)
    )


def cdr(cdr_id, **changes):
    return cdr_payload(id=cdr_id, session_id="101", **changes)


@pytest.fixture
def held_cdrs(cpo):
    received_cdr(cpo, "R1", session_id="101")
    received_cdr(cpo, "R2", session_id="101", total_cost={"excl_vat": 5.0, "incl_vat": 5.5})
    received_cdr(cpo, "R3", session_id="101")
    sessions_ingest_page(partner_id=cpo.pk, objects=[session_example()])  # session 101, which the CDRs name


def test_cdrs_missing_on_either_side_and_differing_totals_are_reported(stub_server, cpo, held_cdrs, settings):
    settings.RECONCILIATION_NOTIFY_EMAILS = ["ops@example.com"]
    serve(stub_server, CDRS, [cdr("R1"), cdr("R2"), cdr("R4"), cdr("r5", last_updated="2015-07-02T00:00:00Z")])

    run = reconciliation_run(partner_id=cpo.pk, module="cdrs", **JUNE)

    summary = {
        "start_date_time": "2015-06-29T21:39:09Z",
        "end_date_time": "2015-06-29T23:37:32Z",
        "currency": "EUR",
        "total_energy": "15.342",
        "total_time": "1.973",
        "total_parking_time": None,
        "total_cost.excl_vat": "4",
        "total_cost.incl_vat": "4.4",
    }
    assert found(run) == [
        ("differs", "BE/BEC/R2", "total_cost.excl_vat", "5", "4", "review", ""),
        ("differs", "BE/BEC/R2", "total_cost.incl_vat", "5.5", "4.4", "review", ""),
        ("missing_here", "BE/BEC/R4", "", None, summary, "fetch", ""),
        ("missing_here", "BE/BEC/r5", "", None, summary, "fetch", ""),  # on its page although dated later
        ("missing_there", "BE/BEC/R3", "", summary, None, "review", ""),
    ]
    assert (run.status, run.compared_ours, run.compared_theirs) == ("succeeded", 3, 4)
    assert run.counts == {"differs": 2, "missing_here": 2, "missing_there": 1}
    assert (run.differences_found, run.repaired, run.open_differences) == (5, 0, 5)
    query = stub_server.requests[0].query
    assert "date_from=2015-06-01T00%3A00%3A00Z" in query and "date_to=2015-07-01T00%3A00%3A00Z" in query
    # paged: two pages of two; then, for R3 (held, not listed), what changed after the period: not R3 either
    assert len(stub_server.requests) == 4
    assert "date_from=2015-07-01T00%3A00%3A00Z" in stub_server.requests[2].query
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert mail.outbox[0].subject == f"Reconciliation: 5 open differences with {cpo} (cdrs)"


def test_repair_fetches_the_missing_cdrs_through_the_module_ingest(stub_server, cpo, held_cdrs):
    serve(stub_server, CDRS, [cdr("R1"), cdr("R2"), cdr("R4")])

    run = reconciliation_run(partner_id=cpo.pk, module="cdrs", repair=True, **JUNE)

    outcomes = {(d.kind, d.object_id): (d.repaired, d.repair_outcome) for d in Difference.objects.filter(run=run)}
    assert outcomes == {
        ("differs", "BE/BEC/R2"): (False, ""),  # a CDR is immutable: reviewed, never overwritten
        ("missing_here", "BE/BEC/R4"): (True, "repaired"),
        ("missing_there", "BE/BEC/R3"): (False, ""),
    }
    assert Cdr.objects.get(cdr_id="R4").partner_id == cpo.pk
    assert (run.differences_found, run.repaired) == (4, 1)

    again = reconciliation_run(partner_id=cpo.pk, module="cdrs", **JUNE)
    assert again.counts == {"differs": 2, "missing_there": 1}


def test_an_outdated_session_is_fetched_and_the_next_run_is_clean(stub_server, cpo, settings):
    settings.RECONCILIATION_ACTIVE_SESSION_MAX_HOURS = 24
    active = session_example(status="ACTIVE", kwh=10, last_updated="2015-06-29T23:00:00Z")
    del active["end_date_time"]
    sessions_ingest_page(partner_id=cpo.pk, objects=[active])
    serve(stub_server, SESSIONS, [session_example()])
    received_cdr(cpo, "R1", session_id="101")

    run = reconciliation_run(partner_id=cpo.pk, module="sessions", repair=True, **JUNE)

    outdated = [
        ("end_date_time", None, "2015-06-29T23:50:16Z"),
        ("kwh", "10", "41.12"),
        ("last_updated", "2015-06-29T23:00:00Z", "2015-06-29T23:50:17Z"),
        ("status", "ACTIVE", "COMPLETED"),
    ]
    assert found(run) == [("outdated_here", "BE/BEC/101", *f, "fetch", "repaired") for f in outdated]
    assert ChargingSession.objects.get(session_id="101").status == "COMPLETED"
    assert run.open_differences == 0

    again = reconciliation_run(partner_id=cpo.pk, module="sessions", **JUNE)
    assert (again.differences_found, again.counts) == (0, {})


def test_completeness_reports_sessions_without_cdr_and_sessions_stuck_active(cpo, settings):
    settings.RECONCILIATION_ACTIVE_SESSION_MAX_HOURS = 24
    settings.RECONCILIATION_CDR_GRACE_HOURS = 48
    stuck = session_example(id="102", status="ACTIVE")
    del stuck["end_date_time"]
    sessions_ingest_page(partner_id=cpo.pk, objects=[session_example(), stuck])
    cpo.endpoints.filter(identifier="sessions").delete()

    run = reconciliation_run(partner_id=cpo.pk, module="sessions", **JUNE)

    assert found(run) == [
        ("session_stuck_active", "BE/BEC/102", "status",
         {"status": "ACTIVE", "start_date_time": "2015-06-29T22:39:09Z"}, None, "review", ""),
        ("session_without_cdr", "BE/BEC/101", "cdr",
         {"status": "COMPLETED", "end_date_time": "2015-06-29T23:50:16Z"}, None, "review", ""),
    ]  # fmt: skip
    assert run.notes == [
        "the partner publishes no sessions Sender: nothing to compare with its list",
        "the partner publishes no sessions Receiver: our own sessions were not read back",
    ]


def test_an_unreachable_partner_fails_the_run_and_says_why(stub_server, cpo):
    stub_server.route("GET", CDRS, (503, b"down"))

    run = reconciliation_run(partner_id=cpo.pk, module="cdrs", **JUNE)

    assert run.status == "failed" and "503" in run.last_error
    assert run.differences_found == 0


def test_a_suspended_partner_is_not_asked_but_local_completeness_still_runs(stub_server, cpo, settings):
    settings.RECONCILIATION_CDR_GRACE_HOURS = 48
    sessions_ingest_page(partner_id=cpo.pk, objects=[session_example()])
    cpo.status = "suspended"
    cpo.save()

    run = reconciliation_run(partner_id=cpo.pk, module="sessions", **JUNE)

    assert (run.status, run.last_error) == ("failed", "the partner is not registered, or suspended: it was not asked")
    assert [(d.kind, d.object_id) for d in Difference.objects.filter(run=run)] == [
        ("session_without_cdr", "BE/BEC/101")
    ]
    assert stub_server.requests == []


def test_an_object_the_partner_changed_after_the_period_is_compared_not_missing(stub_server, cpo):
    sessions_ingest_page(partner_id=cpo.pk, objects=[session_example(), session_example(id="102")])
    later = session_example(id="102", kwh=50, last_updated="2015-07-03T00:00:00Z")

    def handle(request):
        in_period = "date_from=2015-06-01" in request.query
        listed = [session_example()] if in_period else [later]
        return 200, envelope(listed), {"X-Total-Count": str(len(listed))}

    stub_server.route("GET", SESSIONS, handle)

    run = reconciliation_run(partner_id=cpo.pk, module="sessions", **JUNE)

    assert [(d.kind, d.object_id, d.field, d.our_value, d.their_value) for d in Difference.objects.filter(run=run)
            if d.kind != "session_without_cdr"] == [
        ("outdated_here", "BE/BEC/102", "kwh", "41.12", "50"),
        ("outdated_here", "BE/BEC/102", "last_updated", "2015-06-29T23:50:17Z", "2015-07-03T00:00:00Z"),
    ]  # fmt: skip
    assert "date_from=2015-07-01T00%3A00%3A00Z" in stub_server.requests[1].query
    assert run.notes[0] == "1 objects changed by the partner after the period: compared as they are now"
