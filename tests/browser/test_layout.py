"""Lists fit a 1,400 px wide screen: staff should not scroll sideways to reach a row's last column."""

import pytest

from roaming.ocpi.models import OutboxMessage, TrafficLog
from tests.locations.factories import ConnectorFactory, EVSEFactory, LocationFactory
from tests.partners.factories import registered_partner_with_token


@pytest.mark.parametrize(
    "url",
    [
        "/admin/partners/partner/",
        "/admin/ocpi/trafficlog/",
        "/admin/ocpi/outboxmessage/",
        "/admin/locations/connector/?data=all",
    ],
)
def test_list_fits_the_screen(staff_page, superuser, url):
    partner, _ = registered_partner_with_token()
    TrafficLog.objects.create(
        direction="OUT",
        partner=partner,
        module="locations",
        method="PUT",
        url="https://ocpi.partner-platform.example.com/ocpi/emsp/2.2.1/locations/NL/CPO/LOC-000001/EVSE-0001",
        http_status=200,
        ocpi_status=1000,
        duration_ms=120,
    )
    OutboxMessage.objects.create(
        partner=partner,
        module="locations",
        object_key="NL/CPO/LOC-000001",
        method="PUT",
        path="NL/CPO/LOC-000001",
        last_error="HTTP 503 from the partner: service temporarily unavailable, retrying with backoff",
    )
    connector = ConnectorFactory(
        evse=EVSEFactory(evse_id="NL*EXA*E000000000001*1", location=LocationFactory()),
        tariff_ids=["TARIFF-WEEKDAY-PEAK-AC-22KW", "TARIFF-WEEKEND-AC-22KW"],
    )
    assert connector.pk
    page = staff_page(superuser)
    page.goto(url)
    # The admin puts the result table in a scrolling box: a list too wide is cut off there, not on the page.
    cut = page.evaluate(
        "() => { const t = document.querySelector('#result_list'); const box = t.closest('[data-simplebar]');"
        " return Math.ceil(t.getBoundingClientRect().right - box.getBoundingClientRect().right); }"
    )
    assert cut <= 0, f"{url}: {cut} px of the list are cut off"
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
