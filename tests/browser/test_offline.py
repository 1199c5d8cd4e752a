"""The admin works on a closed network: every page's scripts, style sheets, fonts and icons come from our server.

The ``page`` fixture already fails any test whose page asks for something outside loopback; these tests walk the
pages staff open most, and check the theme's fonts really loaded (from our static files, not a fallback)."""

from types import SimpleNamespace

import pytest

from tests.browser.conftest import _refuse_outside_requests
from tests.tariffs.factories import TariffFactory

PAGES = [
    "/admin/",
    "/admin/partners/partner/",
    "/admin/partners/partner/invite/",
    "/admin/tariffs/tariff/",
    "/admin/tariffs/tariff/calculator/",
    "/admin/locations/evse/import/",
    "/admin/cdrs/cdr/",
    "/admin/time-zone/",
    "/api/docs/",
]


def test_login_page_loads_nothing_from_outside(page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/admin/login/")
    page.wait_for_load_state("networkidle")
    assert any("/static/unfold/fonts/inter/" in url for url in requested), requested
    page.evaluate("() => document.fonts.ready")
    assert "Inter" in loaded_font_families(page)


@pytest.mark.parametrize("url", PAGES)
def test_page_loads_only_from_our_server(staff_page, superuser, url):
    TariffFactory(tariff_id="OFFLINE-T1")
    page = staff_page(superuser)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    answer = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert answer.status == 200
    assert requested  # the page itself, at least: the fixture refuses any of them outside loopback
    if url.startswith("/admin/"):
        page.evaluate("() => document.fonts.ready")
        assert {"Inter", "Material Symbols Outlined"} <= loaded_font_families(page)


def loaded_font_families(page) -> set[str]:
    families = page.evaluate("() => [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    return {family.strip('"') for family in families}


def test_a_request_leaving_the_machine_fails_the_test():
    errors = []
    _refuse_outside_requests(
        SimpleNamespace(method="GET", url="https://fonts.googleapis.com/css2?family=Inter"), errors
    )
    _refuse_outside_requests(SimpleNamespace(method="GET", url="http://127.0.0.1:8000/static/unfold/js/app.js"), errors)
    _refuse_outside_requests(SimpleNamespace(method="GET", url="data:image/svg+xml;base64,AAAA"), errors)
    assert errors == ["request leaving the machine: GET https://fonts.googleapis.com/css2?family=Inter"]
