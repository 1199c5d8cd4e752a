"""The OCPI traffic log: inbound calls written by the middleware, pruning, and its admin."""

import multiprocessing
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from roaming.ocpi.admin import TrafficLogAdmin
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.tasks import traffic_log_prune_task
from roaming.ocpi.traffic import cut, ocpi_status_of, redact_headers, traffic_flush, traffic_prune, traffic_record
from roaming.partners.models import Partner
from tests.conftest import auth

pytestmark = pytest.mark.django_db


def log(**fields) -> TrafficLog:
    fields.setdefault("direction", TrafficLog.Direction.INBOUND)
    fields.setdefault("method", "GET")
    fields.setdefault("url", "http://testserver/ocpi/versions")
    return TrafficLog.objects.create(**fields)


def age(entry: TrafficLog, days: float) -> None:
    TrafficLog.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days))


# --- Inbound -------------------------------------------------------------------------------------------------------


@pytest.mark.urls("tests.ocpi.urls")
def test_inbound_call_is_logged_with_partner_module_status_and_ids(client, registered_partner):
    partner, token = registered_partner

    client.get("/ocpi/test/locations?x=1", HTTP_X_REQUEST_ID="req-7", HTTP_X_CORRELATION_ID="corr-7", **auth(token))

    entry = TrafficLog.objects.get()
    assert entry.direction == TrafficLog.Direction.INBOUND
    assert entry.partner == partner
    assert entry.module == "locations"
    assert entry.method == "GET"
    assert entry.url == "http://testserver/ocpi/test/locations?x=1"
    assert (entry.http_status, entry.ocpi_status) == (200, 1000)
    assert (entry.request_id, entry.correlation_id) == ("req-7", "corr-7")
    assert entry.request_headers["Authorization"] == "<redacted>"
    assert '"status_code":1000' in entry.response_body
    assert entry.succeeded


@pytest.mark.urls("tests.ocpi.urls")
def test_inbound_refusal_is_logged_with_its_message_and_body(client, registered_partner, settings):
    settings.OCPI_TRAFFIC_LOG_BODY_LIMIT = 30
    partner, token = registered_partner
    payload = '{"id": "LOC1", "padding": "' + "p" * 100 + '"}'

    client.post("/ocpi/test/validate", payload, content_type="application/json", **auth(token))

    entry = TrafficLog.objects.get()
    assert entry.partner == partner
    assert entry.method == "POST"
    assert (entry.http_status, entry.ocpi_status) == (200, 2001)
    assert "country_code: This field is required." in entry.status_message
    assert entry.request_body.startswith('{"id": "LOC1", "padding": "ppp')
    assert entry.request_body.endswith("more bytes cut]")
    assert not entry.succeeded


def test_unauthenticated_call_is_logged_without_partner(client, registered_partner):
    response = client.get("/ocpi/versions", HTTP_X_REQUEST_ID="anon-1", **auth("who-knows"))

    assert response.status_code == 401
    entry = TrafficLog.objects.get()
    assert entry.partner is None
    assert (entry.http_status, entry.ocpi_status) == (401, 2000)
    assert entry.request_id == "anon-1"
    assert entry.module == "versions"
    assert "who-knows" not in str(entry.request_headers)


def test_non_ocpi_requests_are_not_logged(client):
    client.get("/health")

    assert not TrafficLog.objects.exists()


def test_an_over_long_method_does_not_break_the_answer(client, registered_partner):
    _, token = registered_partner

    response = client.generic("VERSION-CONTROL", "/ocpi/versions", **auth(token))

    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    assert TrafficLog.objects.get().method == "VERSION-"


def test_a_failing_log_write_never_breaks_the_surrounding_transaction(registered_partner, caplog):
    partner, _ = registered_partner

    with transaction.atomic():
        entry = traffic_record(direction="IN", method="GET", url="http://x/ocpi/versions", module="m" * 200)
        # the caller's transaction is still usable
        assert Partner.objects.filter(pk=partner.pk).exists()

    assert entry is None
    assert "could not write the traffic log" in caplog.text


# --- Helpers ------------------------------------------------------------------------------------------------------


# --- Batched writes of successful inbound calls ---------------------------------------------------------------------


@pytest.fixture
def batched(settings):
    """Production's batching, with a writer that never fires on its own: the test flushes."""
    settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS = 3600
    settings.OCPI_TRAFFIC_LOG_BATCH = 10_000
    traffic_flush()
    yield settings
    traffic_flush()


def test_a_success_waits_in_the_buffer_a_refusal_is_written_at_once(client, registered_partner, batched):
    partner, token = registered_partner

    assert client.get("/ocpi/versions", HTTP_X_REQUEST_ID="ok-1", **auth(token)).status_code == 200
    assert TrafficLog.objects.count() == 0
    assert client.get("/ocpi/versions", HTTP_X_REQUEST_ID="refused-1", **auth("who-knows")).status_code == 401
    assert list(TrafficLog.objects.values_list("request_id", flat=True)) == ["refused-1"]

    assert traffic_flush() == 1
    success = TrafficLog.objects.get(request_id="ok-1")
    refused = TrafficLog.objects.get(request_id="refused-1")
    assert (success.partner, success.module) == (partner, "versions")
    assert (success.http_status, success.ocpi_status) == (200, 1000)
    assert success.request_headers["Authorization"] == "<redacted>"
    assert '"status_code":1000' in success.response_body
    assert success.created_at < refused.created_at  # the time of the call, not of the write
    assert traffic_flush() == 0


@pytest.mark.urls("tests.ocpi.urls")
def test_an_ocpi_refusal_in_http_200_is_written_at_once(client, registered_partner, batched):
    _, token = registered_partner
    client.post("/ocpi/test/validate", '{"id": "LOC1"}', content_type="application/json", **auth(token))
    entry = TrafficLog.objects.get()
    assert (entry.http_status, entry.ocpi_status) == (200, 2001)


def test_outbound_calls_are_never_buffered(registered_partner, batched):
    traffic_record(direction=TrafficLog.Direction.OUTBOUND, method="GET", url="http://p/x", http_status=200,
                   response_body=b'{"status_code": 1000}', defer_success=False)  # fmt: skip
    assert TrafficLog.objects.get().direction == TrafficLog.Direction.OUTBOUND


@pytest.fixture
def writer_closes_its_connection():
    """The writer thread closes its connection once idle; wait for it, or the test database cannot be dropped."""
    from roaming.ocpi import traffic

    yield
    deadline = time.monotonic() + 10
    while traffic._buffer.writer_db is not None and traffic._buffer.writer_db.connection is not None:
        assert time.monotonic() < deadline, "the traffic log writer kept its connection while idle"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_writes_a_batch_within_the_interval(client, settings, writer_closes_its_connection):
    from tests.partners.factories import registered_partner_with_token

    partner, token = registered_partner_with_token()
    settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS = 0.3
    settings.OCPI_TRAFFIC_LOG_BATCH = 10_000
    for n in range(3):
        assert client.get("/ocpi/versions", HTTP_X_REQUEST_ID=f"bg-{n}", **auth(token)).status_code == 200
    deadline = time.monotonic() + 10
    while TrafficLog.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    written = sorted(TrafficLog.objects.values_list("request_id", "partner_id"))
    assert written == [(f"bg-{n}", partner.pk) for n in range(3)]


@pytest.mark.django_db(transaction=True)
def test_a_full_batch_is_written_without_waiting_for_the_interval(client, settings, writer_closes_its_connection):
    from tests.partners.factories import registered_partner_with_token

    _, token = registered_partner_with_token()
    settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS = 3600
    settings.OCPI_TRAFFIC_LOG_BATCH = 4
    for n in range(4):
        client.get("/ocpi/versions", HTTP_X_REQUEST_ID=f"full-{n}", **auth(token))
    deadline = time.monotonic() + 10
    while TrafficLog.objects.count() < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert TrafficLog.objects.count() == 4


def _buffer_one_success_and_exit():
    traffic_record(direction=TrafficLog.Direction.INBOUND, method="GET", url="http://us/ocpi/versions",
                   http_status=200, request_id="child-1", response_body=b'{"status_code": 1000}',
                   defer_success=True)  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_multiprocessing_worker_writes_its_buffer_when_it_exits(settings):
    """granian's workers are multiprocessing children, which end with os._exit (no atexit): the buffer of such a
    worker is written by the multiprocessing finalizer it registers, even when its parent had the module loaded."""
    settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS = 3600
    settings.OCPI_TRAFFIC_LOG_BATCH = 10_000
    connections.close_all()  # the child opens its own
    child = multiprocessing.get_context("fork").Process(target=_buffer_one_success_and_exit)
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert list(TrafficLog.objects.values_list("request_id", flat=True)) == ["child-1"]


def test_a_failing_batch_write_is_reported_and_never_raises(batched, caplog, monkeypatch):
    from roaming.ocpi import traffic

    traffic_record(direction=TrafficLog.Direction.INBOUND, method="GET", url="http://t/ocpi/versions",
                   http_status=200, response_body=b'{"status_code": 1000}', defer_success=True)  # fmt: skip

    def broken(entries):
        raise RuntimeError("database gone")

    monkeypatch.setattr(traffic, "_insert_entries", broken)
    assert traffic_flush() == 0
    assert "could not write 1 traffic log entries" in caplog.text
    assert traffic._buffer.pending() == 0


def test_cut_keeps_short_bodies_and_marks_cut_ones(settings):
    settings.OCPI_TRAFFIC_LOG_BODY_LIMIT = 5

    assert cut(b"abc") == "abc"
    assert cut(None) == ""
    assert cut("abcdefgh") == "abcde... [3 more characters cut]"
    assert cut(b"\xff\xfeab") == "\ufffd\ufffdab"


def test_redact_headers():
    assert redact_headers({"Authorization": "Token x", "Cookie": "s=1", "X-Request-ID": "r"}) == {
        "Authorization": "<redacted>",
        "Cookie": "<redacted>",
        "X-Request-ID": "r",
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"status_code": 2001, "status_message": "bad"}', (2001, "bad")),
        (b'{"status_code": "2001"}', (None, "")),
        (b"<html>", (None, "")),
        (b"[]", (None, "")),
        (None, (None, "")),
    ],
)
def test_ocpi_status_of(body, expected):
    assert ocpi_status_of(body) == expected


# --- Pruning ------------------------------------------------------------------------------------------------------


def test_prune_deletes_only_entries_past_the_retention(settings):
    settings.OCPI_TRAFFIC_LOG_RETENTION_DAYS = 30
    old, borderline, recent = log(), log(), log()
    age(old, 45)
    age(borderline, 29.9)
    age(recent, 1)

    assert traffic_prune() == 1

    assert set(TrafficLog.objects.values_list("pk", flat=True)) == {borderline.pk, recent.pk}


def test_prune_with_an_explicit_age():
    old, recent = log(), log()
    age(old, 3)

    assert traffic_prune(older_than_days=2) == 1
    assert list(TrafficLog.objects.values_list("pk", flat=True)) == [recent.pk]


def test_prune_task_is_registered_under_its_scheduled_name(settings):
    from config.celery import app

    settings.OCPI_TRAFFIC_LOG_RETENTION_DAYS = 10
    entries = [log() for _ in range(3)]
    age(entries[0], 11)
    age(entries[1], 20)

    assert app.tasks["ocpi.traffic_log_prune"].delay().get() == 2
    assert list(TrafficLog.objects.values_list("pk", flat=True)) == [entries[2].pk]


def test_prune_task_takes_an_age():
    entry = log()
    age(entry, 3)

    assert traffic_log_prune_task.delay(older_than_days=5).get() == 0
    assert traffic_log_prune_task.delay(older_than_days=2).get() == 1


def test_prune_is_scheduled_daily_in_beat():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="ocpi.traffic_log_prune", enabled=True).exists()


# --- Admin --------------------------------------------------------------------------------------------------------


@pytest.fixture
def outcomes(registered_partner):
    partner, _ = registered_partner
    return {
        "ok": log(http_status=200, ocpi_status=1000, partner=partner),
        "ok-no-envelope": log(http_status=204),
        "client": log(http_status=200, ocpi_status=2001, partner=partner),
        "client-http": log(http_status=401, ocpi_status=2000),
        "server": log(http_status=200, ocpi_status=3001, direction="OUT", partner=partner),
        "server-http": log(http_status=500, ocpi_status=3000),
        "transport": log(http_status=None, direction="OUT", error="ConnectTimeout", url="http://p.invalid/x"),
    }


def test_admin_changelist_renders(admin_client, outcomes):
    response = admin_client.get("/admin/ocpi/trafficlog/")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == len(outcomes)
    assert b"no answer" in response.content
    assert b"http://p.invalid/x" in response.content


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("ok", {"ok", "ok-no-envelope"}),
        ("client", {"client", "client-http"}),
        ("server", {"server", "server-http"}),
        ("transport", {"transport"}),
    ],
)
def test_admin_outcome_filter(admin_client, outcomes, outcome, expected):
    response = admin_client.get("/admin/ocpi/trafficlog/", {"outcome": outcome})

    assert response.status_code == 200
    shown = {entry.pk for entry in response.context["cl"].result_list}
    assert shown == {outcomes[name].pk for name in expected}


def test_admin_search_by_request_id(admin_client, outcomes):
    TrafficLog.objects.filter(pk=outcomes["client"].pk).update(request_id="find-me-123")

    response = admin_client.get("/admin/ocpi/trafficlog/", {"q": "find-me-123"})

    assert [e.pk for e in response.context["cl"].result_list] == [outcomes["client"].pk]


def test_admin_detail_page_is_read_only(admin_client, outcomes):
    entry = outcomes["client"]

    response = admin_client.get(f"/admin/ocpi/trafficlog/{entry.pk}/change/")

    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.get("/admin/ocpi/trafficlog/add/").status_code == 403


def test_admin_display_methods():
    model_admin = TrafficLogAdmin(TrafficLog, None)
    long_url = "http://p.example/" + "x" * 100

    # The path is shown (cut to 60 characters), the whole URL is the tooltip.
    assert (
        model_admin.short_url(TrafficLog(url="http://short/ocpi?x=1"))
        == '<span title="http://short/ocpi?x=1">/ocpi?x=1</span>'
    )
    assert model_admin.short_url(TrafficLog(url=long_url)) == f'<span title="{long_url}">/{"x" * 58}…</span>'
    assert model_admin.call(TrafficLog(direction="OUT", method="PUT", module="locations")) == "out PUT locations"
    assert model_admin.call(TrafficLog(direction="IN", method="GET")) == "in GET -"
    assert ">200 / 1000<" in model_admin.ocpi_status_badge(TrafficLog(http_status=200, ocpi_status=1000))
    assert "#080" in model_admin.ocpi_status_badge(TrafficLog(http_status=200, ocpi_status=1000))
    assert "#b00" in model_admin.ocpi_status_badge(TrafficLog(http_status=200, ocpi_status=2001))
    assert "#b00" in model_admin.ocpi_status_badge(TrafficLog(http_status=503))
    assert ">200 / -<" in model_admin.ocpi_status_badge(TrafficLog(http_status=200))
    assert "no answer" in model_admin.ocpi_status_badge(TrafficLog(http_status=None, error="ConnectTimeout"))


def test_status_of_a_large_body_is_read_without_parsing_it_whole():
    from roaming.ocpi.traffic import cut, ocpi_status_of

    big = b'{"data":[' + b",".join(b'{"id":"L%d"}' % i for i in range(20000)) + b'],"status_code":1000,'
    big += b'"status_message":"All \\"good\\"","timestamp":"2026-01-01T00:00:00Z"}'
    assert len(big) > 100_000
    assert ocpi_status_of(big) == (1000, 'All "good"')
    head_first = b'{"status_code":2001,"status_message":"bad","data":[' + b"1," * 40000 + b"1]}"
    assert ocpi_status_of(head_first) == (2001, "bad")
    assert ocpi_status_of(b"[" + b"1," * 40000 + b"1]") == (None, "")
    kept = cut(big)
    assert kept.startswith('{"data":[{"id":"L0"}') and kept.endswith("more bytes cut]")


@pytest.mark.parametrize(
    ("fields", "title"),
    [
        (
            {"http_status": 200, "ocpi_status": 1000},
            "Outbound GET https://p.example/ocpi/versions: HTTP 200, OCPI 1000",
        ),
        ({"http_status": 502}, "Outbound GET https://p.example/ocpi/versions: HTTP 502"),
        (
            {"error": "ConnectTimeout: timed out\nmore"},
            "Outbound GET https://p.example/ocpi/versions: no answer (ConnectTimeout: timed out)",
        ),
        ({}, "Outbound GET https://p.example/ocpi/versions: no answer"),
    ],
)
def test_an_entry_is_titled_with_its_outcome_in_words(fields, title):
    entry = TrafficLog(direction="OUT", method="GET", url="https://p.example/ocpi/versions", **fields)
    assert str(entry) == title
    assert "None" not in str(entry)


def test_outbox_admin_display_methods():
    from roaming.ocpi.admin import OutboxMessageAdmin
    from roaming.ocpi.models import OutboxMessage

    model_admin = OutboxMessageAdmin(OutboxMessage, None)
    message = OutboxMessage(method="PUT", module="locations", path="NL/CPO/L1", http_status=503, last_error="e" * 90)
    assert model_admin.answer(message) == "503 / -"
    assert model_admin.answer(OutboxMessage()) == "-"
    assert model_admin.call(message) == '<span title="PUT locations NL/CPO/L1">PUT locations NL/CPO/L1</span>'
    assert model_admin.short_error(message) == f'<span title="{"e" * 90}">{"e" * 59}…</span>'
