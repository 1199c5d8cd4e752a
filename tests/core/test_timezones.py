"""Times in the admin carry their zone, in the operator's zone or the one a staff user picked."""

from datetime import UTC, datetime

import pytest

from roaming.ocpi.models import TrafficLog

pytestmark = pytest.mark.django_db

NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def entry():
    log = TrafficLog.objects.create(direction="IN", method="GET", url="http://x/ocpi/versions", http_status=200)
    TrafficLog.objects.filter(pk=log.pk).update(created_at=NOON_UTC)
    return log


def page(admin_client, url="/admin/ocpi/trafficlog/") -> str:
    return admin_client.get(url).content.decode()


def test_times_show_in_utc_with_the_zone_by_default(admin_client, entry):
    html = page(admin_client)
    assert "2026-01-15 12:00:00 UTC" in html
    assert "Times in UTC" in html


def test_times_show_in_the_operators_zone(admin_client, entry, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    html = page(admin_client)
    assert "2026-01-15 13:00:00 CET" in html
    assert "Times in Europe/Amsterdam" in html


def test_a_staff_user_picks_another_zone_for_the_session(admin_client, entry, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    answer = admin_client.post(
        "/admin/time-zone/", {"time_zone": "America/New_York", "next": "/admin/ocpi/trafficlog/"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/admin/ocpi/trafficlog/"
    assert "2026-01-15 07:00:00 EST" in page(admin_client)

    admin_client.post("/admin/time-zone/", {"time_zone": ""})  # back to the operator's zone
    assert "2026-01-15 13:00:00 CET" in page(admin_client)


def test_an_unknown_zone_or_foreign_next_url_is_refused(admin_client):
    assert admin_client.post("/admin/time-zone/", {"time_zone": "Mars/Olympus"}).status_code == 200  # form error
    answer = admin_client.post("/admin/time-zone/", {"time_zone": "UTC", "next": "https://evil.example/"})
    assert answer["Location"] == "/admin/"
