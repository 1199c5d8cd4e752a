"""The admin's basic flows in a real browser: logging in, the partner invitation, the tariff price calculator."""

import base64

import pytest
import requests

from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner
from tests.tariffs.factories import TariffFactory


def test_login_refuses_a_wrong_password_and_accepts_the_right_one(page, superuser):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "not-the-password")
    page.click("#login-form button[type=submit]")
    assert "correct username and password" in page.inner_text("body")

    page.fill("#id_password", "secret-pass-123")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/admin/")
    assert page.locator("#link-partners-partner").is_visible()


def test_inviting_a_partner_shows_a_token_a_that_opens_our_versions(staff_page, superuser, live_server):
    page = staff_page(superuser)
    page.goto("/admin/partners/partner/")
    page.get_by_role("link", name="Invite a partner").click()
    page.fill("input[name=name]", "Browser Energy")
    page.click("input[type=submit][value='Create invitation']")
    token = page.inner_text("#token-a").strip()
    versions_url = page.inner_text("#versions-url").strip()
    assert versions_url.endswith("/ocpi/versions")
    assert Partner.objects.get(name="Browser Energy").status == PartnerStatus.INVITED

    # The token shown is the one we accept: a partner calling our versions endpoint with it gets the list.
    answer = requests.get(
        f"{live_server.url}/ocpi/versions",
        headers={"Authorization": "Token " + base64.b64encode(token.encode()).decode()},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["status_code"] == 1000
    wrong = requests.get(f"{live_server.url}/ocpi/versions", headers={"Authorization": "Token x" + token}, timeout=10)
    assert wrong.status_code == 401

    # Reloading the result page creates no second partner and does not show the token again.
    page.reload()
    assert page.locator("#token-gone").is_visible()
    assert token not in page.inner_text("#content")
    assert Partner.objects.filter(name="Browser Energy").count() == 1


def test_registering_with_an_unreachable_partner_shows_the_failure_and_a_retry(staff_page, superuser):
    page = staff_page(superuser)
    page.goto("/admin/partners/partner/register/")
    page.fill("input[name=versions_url]", "http://127.0.0.1:9/ocpi/versions")  # nothing listens on port 9
    page.fill("input[name=token]", "their-token-a")
    page.click("input[type=submit][value=Register]")

    assert "Registration failed" in page.inner_text(".messagelist")
    assert page.locator("#registration-failed").is_visible()
    partner = Partner.objects.get()
    assert partner.name == "127.0.0.1"
    page.click("#retry-registration-button")  # still unreachable: the failure is shown again, nothing breaks
    assert "Registration failed" in page.inner_text(".messagelist")
    assert Partner.objects.count() == 1


@pytest.mark.parametrize(("energy", "excl", "incl"), [("10", "2.50", "2.75"), ("3.5", "0.88", "0.96")])
def test_price_calculator_prices_a_tariff(staff_page, superuser, energy, excl, incl):
    tariff = TariffFactory(tariff_id="BROWSER-T1")  # €0.25/kWh, 10% VAT
    page = staff_page(superuser)
    page.goto("/admin/tariffs/tariff/calculator/")
    page.select_option("select[name=tariff]", str(tariff.pk))
    page.fill("input[name=start]", "2024-05-06T10:00")
    page.fill("input[name=duration_minutes]", "60")
    page.fill("input[name=energy_kwh]", energy)
    page.click("input[name=_calculate]")
    assert page.inner_text("#total-excl").strip() == excl
    assert page.inner_text("#total-incl").strip() == incl
    assert "BROWSER-T1" in page.inner_text("#content h2")
