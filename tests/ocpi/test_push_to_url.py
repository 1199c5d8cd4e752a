"""The push engine delivering to an absolute URL a partner gave us (a commands response_url): no fan-out, no
endpoint needed, retried like any push, with routing headers of the module's interface (commands: the partner's
SENDER, so our CPO writes to its eMSP)."""

import pytest
from django.db import transaction

from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.push import outbox_deliver, push_enqueue_to_url
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope


def test_a_relative_url_is_refused(db):
    partner, _ = registered_partner_with_token()
    with pytest.raises(ValueError):
        push_enqueue_to_url(partner_id=partner.pk, module="commands", object_key="k", url="results/1", body={})


def test_delivered_to_the_url_with_the_modules_routing_headers(db, stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")
    stub_server.route("POST", "/anywhere/R-1", (503, b"busy"), (200, envelope()))
    url = f"{stub_server.url}/anywhere/R-1"
    with transaction.atomic():
        assert (
            push_enqueue_to_url(
                partner_id=partner.pk, module="commands", object_key="command/1", url=url, body={"result": "ACCEPTED"}
            )
            == 1
        )
    message = OutboxMessage.objects.get()
    assert (message.method, message.path, message.partner_id) == ("POST", url, partner.pk)
    outbox_deliver(partner.pk, "commands", "command/1")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.http_status) == ("pending", 1, 503)
    from roaming.ocpi.push import _partner_recovered

    _partner_recovered(partner.pk)
    OutboxMessage.objects.update(next_attempt_at=message.created_at)
    outbox_deliver(partner.pk, "commands", "command/1")
    message.refresh_from_db()
    assert message.status == "delivered"
    last = stub_server.requests[-1]
    assert last.json() == {"result": "ACCEPTED"}
    headers = {k.lower(): v for k, v in last.headers.items()}
    assert (headers["ocpi-from-country-code"], headers["ocpi-from-party-id"]) == (
        settings.OCPI_COUNTRY_CODE,
        settings.OCPI_PARTY_ID,
    )
    assert (headers["ocpi-to-country-code"], headers["ocpi-to-party-id"]) == ("DE", "MSP")
