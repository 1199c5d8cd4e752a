"""/metrics: OCPI call latency per module and direction, push backlog and failures, pull age; access control."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from roaming.ocpi.models import OutboxMessage, SyncRun
from tests.conftest import auth
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[tuple, float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_inbound_ocpi_calls_are_timed_per_module(client, registered_partner):
    _, token = registered_partner
    labels = {"direction": "IN", "module": "versions", "method": "GET", "status": "2xx"}
    before = value(scrape(client), "ocpi_http_request_duration_seconds_count", **labels)

    for _ in range(3):
        assert client.get("/ocpi/versions", **auth(token)).status_code == 200
    client.get("/ocpi/versions")  # no token: 401, counted under 4xx

    samples = scrape(client)
    assert value(samples, "ocpi_http_request_duration_seconds_count", **labels) == before + 3
    assert value(samples, "ocpi_http_request_duration_seconds_count", **{**labels, "status": "4xx"}) >= 1


def test_push_backlog_failures_and_pull_age_per_partner(client):
    slow = PartnerFactory(name="Slow Energy")
    fine = PartnerFactory(name="Fine Energy")
    for status, n in ((OutboxMessage.Status.PENDING, 3), (OutboxMessage.Status.FAILED, 2)):
        for i in range(n):
            OutboxMessage.objects.create(
                partner=slow, module="locations", object_key=f"L{i}", method="PUT", path="x", status=status
            )
    OutboxMessage.objects.create(
        partner=fine, module="locations", object_key="L", method="PUT", path="x", status="delivered"
    )
    OutboxMessage.objects.filter(partner=slow, status="pending").update(created_at=timezone.now() - timedelta(hours=1))
    run = SyncRun.objects.create(partner=fine, module="tariffs", status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - timedelta(minutes=10))

    samples = scrape(client)
    slow_labels = {"partner": "Slow Energy", "partner_id": str(slow.pk)}
    assert value(samples, "ocpi_push_backlog", **slow_labels) == 3
    assert value(samples, "ocpi_push_failed", **slow_labels) == 2
    assert 3590 < value(samples, "ocpi_push_oldest_pending_age_seconds", **slow_labels) < 3700
    assert ("ocpi_push_backlog", tuple(sorted({"partner": "Fine Energy", "partner_id": str(fine.pk)}.items()))) not in (
        samples
    )
    age = value(
        samples, "ocpi_pull_last_success_age_seconds", partner="Fine Energy", partner_id=str(fine.pk), module="tariffs"
    )
    assert 590 < age < 700


def test_metrics_are_refused_outside_the_allowed_networks_unless_the_token_is_given(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **far).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret", **far).status_code == 200
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", **far).status_code == 403


def test_a_request_forwarded_by_a_proxy_on_loopback_needs_the_token(client, settings):
    # Behind nginx on the same host every request comes from 127.0.0.1: the address proves nothing then.
    settings.METRICS_TOKEN = "scrape-secret"
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.get("/metrics", **forwarded).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret", **forwarded).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
