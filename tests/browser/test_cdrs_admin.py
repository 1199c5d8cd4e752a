"""Finance's CDR review in a real browser: log in, filter the CDR list, open a CDR, flag and resolve a dispute,
export the filtered list as CSV."""

import csv
import io
from pathlib import Path

from roaming.cdrs.choices import DisputeState
from roaming.cdrs.models import Cdr
from tests.cdrs.factories import received_cdr
from tests.partners.factories import registered_partner_with_token


def test_finance_reviews_filters_disputes_and_exports(staff_page, superuser):
    cpo, _ = registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")
    received_cdr(cpo, "R1")
    flagged = received_cdr(cpo, "R2", total_cost={"excl_vat": 5.00, "incl_vat": 5.50})
    page = staff_page(superuser)

    page.goto("/admin/cdrs/cdr/")
    page.locator("#result_list").wait_for()
    assert page.locator("#result_list tbody tr").count() == 2
    page.locator("a", has_text="Filters").first.click()  # below 1,536 px the filters open in a side sheet
    page.get_by_role("link", name="Flagged", exact=True).click()
    page.wait_for_url("**review_status__exact=flagged**")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "5.00" in page.inner_text("#cdr-totals")

    page.get_by_role("link", name="R2").click()
    page.wait_for_url("**/change/**")
    assert page.locator("#cdr-comparison tr.differs").count() >= 2
    page.fill("#dispute-comment", "charged 5.00, tariff says 4.00")
    with page.expect_navigation():  # wait for the answer page: the messages of the last one must not be read
        page.click("input[type=submit][value='Flag as disputed']")
    assert "Dispute opened." in page.inner_text(".messagelist")
    page.get_by_label("Accepted: the CDR stands").check()
    page.fill("#resolve-comment", "CPO confirmed a parking fee")
    with page.expect_navigation():
        page.click("input[type=submit][value='Resolve']")
    assert "Dispute resolved." in page.inner_text(".messagelist")
    history = page.inner_text("#cdr-history")
    assert "charged 5.00, tariff says 4.00" in history and "CPO confirmed a parking fee" in history
    assert Cdr.objects.get(pk=flagged.pk).dispute_state == DisputeState.ACCEPTED

    page.goto("/admin/cdrs/cdr/?review_status__exact=ok")
    page.get_by_role("link", name="Export").click()
    page.select_option("select[name=format]", label="csv")
    with page.expect_download() as download:
        page.click("button[type=submit]:has-text('Submit')")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert sorted(row["cdr_id"] for row in rows) == ["R1", "R2"]  # R2's dispute was accepted: it reads OK again
