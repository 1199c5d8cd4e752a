"""Finance review in the admin (server side): list filters, totals per currency, exports, the CDR page, actions."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group

from roaming.cdrs.admin.cdr import CdrAdmin
from roaming.cdrs.choices import DisputeState, EventKind, QuarantineStatus, ReviewStatus
from roaming.cdrs.models import Cdr
from roaming.cdrs.services import cdr_quarantine
from tests.cdrs.factories import cdr_payload, own_cdr, received_cdr

pytestmark = pytest.mark.django_db

LIST = "/admin/cdrs/cdr/"


@pytest.fixture
def cdrs(cpo, emsp):
    """Two received EUR CDRs (one over-priced, so flagged) and one of ours in SEK."""
    ok = received_cdr(cpo[0], "R1")
    flagged = received_cdr(cpo[0], "R2", total_cost={"excl_vat": 5.00, "incl_vat": 5.50})
    sek = own_cdr("S1", currency="SEK")
    return ok, flagged, sek


def export(admin_client, query: str, file_format: int):
    """Run the export form (format 0 = CSV, 1 = XLSX) on the list filtered by ``query``."""
    page = admin_client.get(f"{LIST}export/?{query}")
    assert page.status_code == 200
    fields = [name for name in page.context["form"].fields if name.startswith("cdrresource_")]
    data = {"format": file_format, "resource": 0, **dict.fromkeys(fields, "on")}
    return admin_client.post(f"{LIST}export/?{query}", data)


def test_list_filters_by_status_and_direction_and_shows_totals_per_currency(admin_client, cdrs):
    ok, flagged, sek = cdrs
    page = admin_client.get(LIST)
    totals = {row["currency"]: row for row in page.context["cdr_totals"]}
    assert totals["EUR"]["count"] == 2 and totals["EUR"]["cost_excl_vat"] == Decimal("9.00")
    assert totals["SEK"]["count"] == 1
    flagged_page = admin_client.get(f"{LIST}?review_status=flagged")
    assert list(flagged_page.context["cl"].queryset) == [flagged]
    assert [r["count"] for r in flagged_page.context["cdr_totals"]] == [1]
    sent = admin_client.get(f"{LIST}?direction=sent")
    assert list(sent.context["cl"].queryset) == [sek]
    assert b"cdr-totals" in sent.content


def test_list_filters_by_partner_country_currency_and_month(admin_client, cdrs, cpo):
    ok, flagged, sek = cdrs
    assert set(admin_client.get(f"{LIST}?partner__id__exact={cpo[0].pk}").context["cl"].queryset) == {ok, flagged}
    assert list(admin_client.get(f"{LIST}?currency=SEK").context["cl"].queryset) == [sek]
    assert admin_client.get(f"{LIST}?country=BEL").context["cl"].queryset.count() == 3
    assert admin_client.get(f"{LIST}?period=2015-06").context["cl"].queryset.count() == 3
    assert admin_client.get(f"{LIST}?period=2015-07").context["cl"].queryset.count() == 0


def test_csv_export_holds_the_filtered_set(admin_client, cdrs):
    response = export(admin_client, "currency=EUR", 0)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["cdr_id"] for r in rows) == ["R1", "R2"]
    assert {r["total_cost_excl_vat"] for r in rows} == {"4.000000", "5.000000"}
    assert rows[0]["contract_id"] == "DE8ACC12E46L89" and rows[0]["location_id"] == "LOC1"


def test_xlsx_export(admin_client, cdrs):
    response = export(admin_client, "direction=sent", 1)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    header = rows[0]
    assert [dict(zip(header, row))["cdr_id"] for row in rows[1:]] == ["S1"]


def test_cdr_page_shows_periods_comparison_and_highlights_differences(admin_client, cdrs):
    _, flagged, _ = cdrs
    page = admin_client.get(f"{LIST}{flagged.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("cdr-location", "cdr-token", "cdr-periods", "cdr-costs", "cdr-comparison", "cdr-history"):
        assert f'id="{section}"' in html
    differing = {row["field"] for row in page.context["comparison"] if row["differs"]}
    # 5.00 charged where 2 h at 2.00 make 4.00; the example's periods carry no ENERGY although it states 15.342 kWh
    assert {"total_cost (excl. VAT)", "total_cost (incl. VAT)", "total_energy"} <= differing
    assert "total_time_cost (excl. VAT)" not in differing
    assert 'class="differs"' in html
    assert "F.Rooseveltlaan 3A" in html and "DE8ACC12E46L89" in html


def test_period_whose_volumes_disagree_with_its_timestamps_is_marked(admin_client, cpo):
    cdr = received_cdr(
        cpo[0],
        "R9",
        charging_periods=[
            {
                "start_date_time": "2015-06-29T21:39:09Z",
                "dimensions": [{"type": "TIME", "volume": 1.0}],
                "tariff_id": "12",
            }
        ],
    )
    page = admin_client.get(f"{LIST}{cdr.pk}/change/")
    [row] = page.context["periods"]
    assert row.disagreement == "time volumes add up to 1.0000 h, the period lasts 1.9731 h"
    assert "period-disagrees" in page.content.decode()


def test_sent_cdr_page_shows_its_delivery(admin_client, cdrs):
    *_, sek = cdrs
    page = admin_client.get(f"{LIST}{sek.pk}/change/")
    assert 'id="cdr-delivery"' in page.content.decode()


def test_dispute_and_resolve_from_the_cdr_page(admin_client, cdrs, admin_user):
    ok, _, _ = cdrs
    response = admin_client.post(f"{LIST}{ok.pk}/dispute/", {"comment": "driver says 3 kWh"})
    assert response.status_code == 302
    ok.refresh_from_db()
    assert ok.review_status == ReviewStatus.DISPUTED
    admin_client.post(f"{LIST}{ok.pk}/resolve/", {"outcome": "accepted", "comment": "meter values fine"})
    ok.refresh_from_db()
    assert ok.dispute_state == DisputeState.ACCEPTED
    page = admin_client.get(f"{LIST}{ok.pk}/change/").content.decode()
    assert "driver says 3 kWh" in page and "meter values fine" in page


def test_credit_from_the_cdr_page(admin_client, cdrs):
    *_, sek = cdrs
    admin_client.post(f"{LIST}{sek.pk}/credit/", {"comment": "wrong tariff", "correction": "reprice"})
    assert set(Cdr.objects.filter(cdr_id__startswith="S1-").values_list("cdr_id", flat=True)) == {"S1-C", "S1-R"}
    sek.refresh_from_db()
    assert sek.review_status == ReviewStatus.CREDITED


def test_read_only_staff_cannot_act(client, django_user_model, cdrs):
    ok, *_ = cdrs
    user = django_user_model.objects.create_user("reader", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Read-only"))
    client.force_login(user)
    assert client.get(f"{LIST}{ok.pk}/change/").status_code == 200
    assert client.post(f"{LIST}{ok.pk}/dispute/", {"comment": "x"}).status_code == 403
    ok.refresh_from_db()
    assert ok.dispute_state == ""


def test_finance_group_can_dispute(client, django_user_model, cdrs):
    ok, *_ = cdrs
    user = django_user_model.objects.create_user("fin", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Finance"))
    client.force_login(user)
    client.post(f"{LIST}{ok.pk}/dispute/", {"comment": "check"})
    assert ok.events.filter(kind=EventKind.DISPUTE_OPENED, user=user).exists()


def test_quarantine_accept_from_the_admin(admin_client, cpo):
    raw = cdr_payload()
    raw["cdr_location"]["country"] = "BE"
    entry = cdr_quarantine(partner_id=cpo[0].pk, raw=raw, problems=["cdr_location.country: ..."])
    page = admin_client.get(f"/admin/cdrs/quarantinedcdr/{entry.pk}/change/").content.decode()
    assert "cdr_location.country: ..." in page and 'id="accept-form"' in page
    response = admin_client.post(f"/admin/cdrs/quarantinedcdr/{entry.pk}/accept/", {"reason": "alpha-2 only"})
    cdr = Cdr.objects.get()
    assert response["Location"] == f"{LIST}{cdr.pk}/change/"
    entry.refresh_from_db()
    assert entry.status == QuarantineStatus.ACCEPTED and cdr.accepted_by_hand


def test_status_display():
    cdr = Cdr(review_status=ReviewStatus.FLAGGED, credit=True)
    assert ">Flagged (credit CDR)<" in CdrAdmin.status(None, cdr)
