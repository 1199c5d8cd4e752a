"""Push order per object and one pull per partner and module hold even when the work outlasts any lock TTL, and a
holder that dies frees the lock at once (roaming.ocpi.locks)."""

import threading
import time

import pytest
from django.db import connection, connections

from roaming.ocpi import pull, push
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.pull import PullHandler, sync_pull
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db(transaction=True)
SLOW = 2.5  # seconds a partner takes to answer: longer than the 1 s TTL a cache lock would have had


def in_thread(target, *args, **kwargs):
    result = {}

    def run():
        try:
            result["value"] = target(*args, **kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def slow(answer):
    def handle(request):
        time.sleep(SLOW)
        return answer

    return handle


@pytest.fixture
def short_ttls(settings, monkeypatch):
    settings.OCPI_CLIENT_RETRIES = 0
    settings.OCPI_PULL_STALE_SECONDS = 1
    monkeypatch.setattr(push, "LOCK_SECONDS", 1)


def test_a_delivery_slower_than_the_ttl_keeps_the_object_locked(stub_server, short_ttls):
    partner, _ = registered_partner_with_token(
        endpoints=[("locations", "RECEIVER", f"{stub_server.url}/emsp/locations")]
    )
    stub_server.route("PUT", "/emsp/locations/NL/EXA/L1", slow((200, envelope())))
    for method in ("PUT", "PATCH"):
        OutboxMessage.objects.create(
            partner=partner, module="locations", object_key="L1", method=method, path="NL/EXA/L1", body={"id": "L1"}
        )
    thread, first = in_thread(push.outbox_deliver, partner.pk, "locations", "L1")
    time.sleep(SLOW / 2 + 0.3)  # past the old TTL, the first delivery still waiting for the partner

    assert push.outbox_deliver(partner.pk, "locations", "L1") == "locked"
    thread.join()
    assert first["value"].startswith("delivered")
    assert len(stub_server.calls("PUT", "/emsp/locations/NL/EXA/L1")) == 1  # never sent twice, never overtaken


def test_a_pull_slower_than_the_ttl_is_not_run_twice(stub_server, short_ttls, monkeypatch):
    partner, _ = registered_partner_with_token(
        role="CPO", party_id="CPO", endpoints=[("things", "SENDER", f"{stub_server.url}/things")]
    )
    monkeypatch.setitem(pull._handlers, "things", PullHandler(module="things", ingest=lambda **kw: {"accepted": 1}))
    stub_server.route("GET", "/things", slow((200, envelope([{"id": "a"}]))))
    thread, first = in_thread(sync_pull, partner_id=partner.pk, module="things")
    time.sleep(SLOW / 2 + 0.3)

    assert sync_pull(partner_id=partner.pk, module="things") is None
    thread.join()
    assert first["value"].status == "succeeded"
    assert len(stub_server.calls("GET", "/things")) == 1


def test_a_lock_whose_holder_died_is_free_at_once():
    """A worker killed mid-delivery: its database connection closes, and the server releases the lock."""
    from roaming.ocpi.locks import exclusive

    holder_taken = threading.Event()
    release = threading.Event()

    def holder():
        with exclusive("ocpi:test:died", fallback_ttl=300) as taken:
            assert taken
            holder_taken.set()
            release.wait(5)
            connection.close()  # what the server sees when the process is killed

    thread = threading.Thread(target=holder)
    thread.start()
    holder_taken.wait(5)
    with exclusive("ocpi:test:died", fallback_ttl=300) as taken:
        assert not taken  # held
    release.set()
    thread.join()
    with exclusive("ocpi:test:died", fallback_ttl=300) as taken:
        assert taken  # freed with the connection, no TTL to wait for
