"""Queueing after a write is best effort: with the broker down the committed change still answers success, the
failure is logged, and the periodic re-queue delivers what was saved."""

import json
import logging
import socket

import pytest
from django.utils import timezone

from roaming.ocpi.models import OutboxMessage
from tests.locations import factories_import
from tests.locations.test_csms_api import BODY, _token

pytestmark = pytest.mark.django_db
receiving_partner = factories_import.receiving_partner


@pytest.fixture
def broker_down(settings):
    """The real Celery app publishing to a Redis URL where nothing listens (connection refused), not eager."""
    from config.celery import app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    saved = (app.conf.broker_url, app.conf.task_always_eager, app._pool)
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager, app._pool = saved
    app.amqp._producer_pool = None


def test_a_csms_write_answers_success_while_the_broker_is_down(
    client, receiving_partner, broker_down, django_capture_on_commit_callbacks, caplog
):
    headers = {"HTTP_AUTHORIZATION": f"Token {_token(True)}"}
    with (
        caplog.at_level(logging.WARNING, logger="roaming.ocpi.queueing"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = client.put("/api/v1/chargers/CP-1", json.dumps(BODY), content_type="application/json", **headers)
    assert response.status_code == 201
    assert callbacks  # the publish really ran after the commit, and failed
    assert "could not queue ocpi.outbox_deliver" in caplog.text
    message = OutboxMessage.objects.get(partner=receiving_partner)
    assert message.status == OutboxMessage.Status.PENDING  # kept for the periodic re-queue


def test_the_periodic_requeue_survives_a_broker_outage(receiving_partner, broker_down, caplog):
    from roaming.ocpi.push import outbox_requeue_due

    OutboxMessage.objects.create(
        partner=receiving_partner,
        module="locations",
        object_key="L1",
        method="PUT",
        path="NL/EXA/L1",
        next_attempt_at=timezone.now(),
    )
    with caplog.at_level(logging.WARNING, logger="roaming.ocpi.queueing"):
        assert outbox_requeue_due() == 0
    assert "could not queue" in caplog.text


def test_an_admin_action_survives_a_broker_outage(admin_client, broker_down, django_capture_on_commit_callbacks):
    from tests.partners.factories import registered_partner_with_token

    partner, _ = registered_partner_with_token()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/partners/partner/", {"action": "action_rotate", "_selected_action": [partner.pk]}
        )
    assert response.status_code == 302
