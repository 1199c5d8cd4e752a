"""``reconciliation_open_differences`` (for a dashboard), the run history, and the schedule ops edit."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from roaming.core.exceptions import InvalidInput
from roaming.reconciliation.models import ReconciliationRun
from roaming.reconciliation.selectors import reconciliation_history, reconciliation_open_differences
from roaming.reconciliation.services import reconciliation_schedule
from roaming.reconciliation.tasks import reconciliation_run_task
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def run(partner, module, found, repaired, *, status="succeeded", minutes=0):
    row = ReconciliationRun.objects.create(
        partner=partner, module=module, date_from=T0, date_to=T0 + timedelta(days=30), status=status,
        differences_found=found, repaired=repaired,
    )  # fmt: skip
    ReconciliationRun.objects.filter(pk=row.pk).update(started_at=T0 + timedelta(minutes=minutes))
    return row


def test_open_differences_are_the_latest_finished_run_per_partner_and_module(django_assert_num_queries):
    a = registered_partner_with_token(country_code="BE", party_id="AAA", role="CPO")[0]
    b = registered_partner_with_token(country_code="BE", party_id="BBB", role="CPO")[0]
    run(a, "cdrs", 9, 0, minutes=1)
    latest_a = run(a, "cdrs", 4, 1, minutes=2)  # the latest finished one counts
    run(a, "cdrs", 0, 0, status="running", minutes=3)  # still running: ignored
    latest_b = run(b, "sessions", 7, 0, minutes=1)
    run(b, "tokens", 2, 2, minutes=1)  # all repaired: not listed

    with django_assert_num_queries(1):
        rows = reconciliation_open_differences()

    assert [(r["partner_id"], r["module"], r["run_id"], r["open"]) for r in rows] == [
        (b.pk, "sessions", latest_b.pk, 7),
        (a.pk, "cdrs", latest_a.pk, 3),
    ]


def test_history_is_newest_first():
    a = registered_partner_with_token(country_code="BE", party_id="AAA", role="CPO")[0]
    first, second = run(a, "cdrs", 1, 0, minutes=1), run(a, "cdrs", 0, 0, minutes=2)
    assert [r.pk for r in reconciliation_history(partner_id=a.pk)] == [second.pk, first.pk]


def test_schedule_creates_then_updates_one_daily_task():
    partner = registered_partner_with_token(country_code="BE", party_id="AAA", role="CPO")[0]

    task = reconciliation_schedule(partner=partner, module="cdrs", days=7, repair=True)
    again = reconciliation_schedule(partner=partner, module="cdrs", days=2)

    assert task.pk == again.pk and PeriodicTask.objects.filter(task="reconciliation.run").count() == 1
    again.refresh_from_db()
    assert (again.args, json.loads(again.kwargs)) == (f'[{partner.pk}, "cdrs"]', {"days": 2, "repair": False})
    assert (again.crontab.hour, again.crontab.minute, str(again.crontab.timezone)) == ("3", "30", "UTC")
    with pytest.raises(InvalidInput, match="1 to 93 days"):
        reconciliation_schedule(partner=partner, module="cdrs", days=0)


def test_the_scheduled_task_runs_over_the_last_days(stub_server, settings):
    partner = registered_partner_with_token(country_code="BE", party_id="AAA", role="CPO")[0]
    assert reconciliation_run_task(partner.pk, "tariffs", days=3) == "succeeded: 0 differences, 0 repaired"
    row = ReconciliationRun.objects.get()
    assert (row.date_to - row.date_from, row.started_by) == (timedelta(days=3), "schedule")


def test_dashboard_panel_shows_the_open_differences_and_links_each_run_report(rf, admin_user):
    from roaming.reconciliation.dashboard import open_differences_panel

    a = registered_partner_with_token(country_code="BE", party_id="AAA", role="CPO")[0]
    latest = run(a, "cdrs", 5, 2, minutes=1)
    request = rf.get("/admin/")
    request.user = admin_user

    panel = open_differences_panel(request)

    assert [(f.key, f.value, f.tone) for f in panel.figures] == [("reconciliation-open", 3, "bad")]
    (row,) = panel.tables[0].rows
    assert [cell.text for cell in row] == [str(a), "cdrs", 3, f"#{latest.pk}"]
    assert row[3].link == f"/admin/reconciliation/reconciliationrun/{latest.pk}/report/"
