"""Reconciliation in a real browser: from a partner's page, Reconcile (module, period), read the run's report,
filter its differences, export them as CSV, and find the run in the partner's history."""

import csv
import io
from pathlib import Path

from roaming.reconciliation.models import ReconciliationRun
from tests.cdrs.factories import cdr_payload, received_cdr
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

CDRS = "/ocpi/2.2.1/cpo/cdrs"


def test_staff_reconcile_from_the_partner_page_and_read_the_report(staff_page, superuser, stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    cpo, _ = registered_partner_with_token(
        country_code="BE", party_id="BEC", role="CPO", endpoints=[("cdrs", "SENDER", f"{stub_server.url}{CDRS}")]
    )
    received_cdr(cpo, "R1", session_id="S1")
    received_cdr(cpo, "R3", session_id="S1")
    listed = [cdr_payload(id="R1", session_id="S1"), cdr_payload(id="R2", session_id="S1")]
    stub_server.route("GET", CDRS, (200, envelope(listed), {"X-Total-Count": "2"}))
    page = staff_page(superuser)

    page.goto(f"/admin/partners/partner/{cpo.pk}/change/")
    page.click("#reconcile-link")
    page.wait_for_url("**/reconciliation/reconciliationrun/start/**")
    page.select_option("#id_module", "cdrs")
    page.fill("#id_date_from", "2015-06-01")
    page.fill("#id_date_to", "2015-06-30")
    page.click("input[type=submit][value='Reconcile']")
    page.wait_for_url("**/report/")

    run = ReconciliationRun.objects.get()
    assert (run.partner_id, run.module, run.status, run.started_by) == (cpo.pk, "cdrs", "succeeded", "boss")
    assert "Reconciliation of CDRs started." in page.inner_text(".messagelist")
    assert "4 differences, 0 repaired, 4 open" in page.inner_text("#run-status")
    counts = [row.split("\t") for row in page.inner_text("#run-counts tbody").splitlines()]
    assert counts == [
        ["CDR without session", "2", "0"],
        ["Missing here (the partner has it, we do not)", "1", "0"],
        ["Missing there (we have it, the partner's list does not)", "1", "0"],
    ]
    assert page.locator("#differences tbody tr").count() == 4

    page.select_option("select[name=kind]", "missing_here")
    page.click("input[type=submit][value='Filter']")
    page.wait_for_url("**kind=missing_here**")
    cells = page.locator("#differences tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["Missing here (the partner has it, we do not)", "BE/BEC/R2", "—"]
    assert cells[5] == "Fetch the partner's copy and store it"

    with page.expect_download() as download:
        page.click("#csv-export")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert [(r["kind"], r["object_id"], r["suggested_action"], r["repaired"]) for r in rows] == [
        ("missing_here", "BE/BEC/R2", "fetch", "no")
    ]

    history = page.inner_text("#reconciliation-history tbody")
    assert "CDRs" in history and "2015-06-01 – 2015-07-01" in history
