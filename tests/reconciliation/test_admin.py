"""The reconciliation admin without a browser: who may start a run, the form's validation, the report and CSV
under filters, and the run list."""

import csv
import io

import pytest

from roaming.reconciliation.models import ReconciliationRun
from roaming.reconciliation.services import reconciliation_run
from tests.cdrs.factories import cdr_payload, received_cdr
from tests.reconciliation.conftest import CDRS, JUNE, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(stub_server, cpo):
    received_cdr(cpo, "R1", session_id="S1")
    serve(stub_server, CDRS, [cdr_payload(id="R1", session_id="S1"), cdr_payload(id="R2", session_id="S1")])
    return reconciliation_run(partner_id=cpo.pk, module="cdrs", **JUNE)


def test_staff_without_the_permission_cannot_start(client, cpo, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    response = client.post(f"/admin/reconciliation/reconciliationrun/start/{cpo.pk}/", {"module": "cdrs"})
    assert response.status_code == 302 and response.url == f"/admin/partners/partner/{cpo.pk}/change/"
    assert ReconciliationRun.objects.count() == 0


def test_staff_may_run_but_not_schedule_without_the_periodic_task_permission(
    client, cpo, stub_server, django_user_model
):
    from django.contrib.auth.models import Permission
    from django_celery_beat.models import PeriodicTask

    serve(stub_server, CDRS, [])
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_reconciliationrun", "view_reconciliationrun"])
    )
    client.force_login(clerk)
    data = {
        "module": "cdrs",
        "date_from": "2015-06-01",
        "date_to": "2015-06-30",
        "schedule": "on",
        "schedule_days": "3",
    }
    response = client.post(f"/admin/reconciliation/reconciliationrun/start/{cpo.pk}/", data, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Not scheduled: you may not add periodic tasks.",
        "Reconciliation of CDRs started.",
    ]
    assert ReconciliationRun.objects.count() == 1  # the run was started
    assert PeriodicTask.objects.filter(task="reconciliation.run").count() == 0  # but nothing was scheduled


def test_the_form_refuses_a_period_that_ends_before_it_starts(admin_client, cpo):
    data = {"module": "cdrs", "date_from": "2015-07-01", "date_to": "2015-06-01", "schedule_days": "2"}
    response = admin_client.post(f"/admin/reconciliation/reconciliationrun/start/{cpo.pk}/", data)
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()
    assert ReconciliationRun.objects.count() == 0


def test_start_with_schedule_creates_the_nightly_task(admin_client, cpo, stub_server):
    serve(stub_server, CDRS, [])
    data = {
        "module": "cdrs",
        "date_from": "2015-06-01",
        "date_to": "2015-06-30",
        "schedule": "on",
        "schedule_days": "3",
    }
    response = admin_client.post(f"/admin/reconciliation/reconciliationrun/start/{cpo.pk}/", data)
    run = ReconciliationRun.objects.get()
    assert response.url == f"/admin/reconciliation/reconciliationrun/{run.pk}/report/"
    assert (run.date_from.isoformat(), run.date_to.isoformat()) == (
        "2015-06-01T00:00:00+00:00",
        "2015-07-01T00:00:00+00:00",
    )
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(task="reconciliation.run").kwargs == '{"days": 3, "repair": false}'


def test_report_and_csv_follow_the_filters(admin_client, run, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        page = admin_client.get(f"/admin/reconciliation/reconciliationrun/{run.pk}/report/?kind=missing_here")
    assert page.status_code == 200
    assert page.context["total"] == 1 and [d.object_id for d in page.context["differences"]] == ["BE/BEC/R2"]
    assert ([r.pk for r in page.context["history"]], page.context["history_max"]) == ([run.pk], 2)  # the bars' scale
    response = admin_client.get(f"/admin/reconciliation/reconciliationrun/{run.pk}/csv/?repaired=no")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted((r["kind"], r["object_id"]) for r in rows) == [
        ("cdr_without_session", "BE/BEC/R1"),
        ("missing_here", "BE/BEC/R2"),
    ]
    assert response["Content-Disposition"] == f'attachment; filename="reconciliation-{run.pk}.csv"'


def test_run_list_and_change_url(admin_client, run):
    listing = admin_client.get("/admin/reconciliation/reconciliationrun/")
    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == [run]
    change = admin_client.get(f"/admin/reconciliation/reconciliationrun/{run.pk}/change/")
    assert change.url == f"/admin/reconciliation/reconciliationrun/{run.pk}/report/"
