"""The push engine (roaming.ocpi.push) against a real HTTP partner stub."""

import datetime as dt

import pytest
from django.utils import timezone

from roaming.ocpi.models import OutboxMessage, TrafficLog
from roaming.ocpi.push import backoff_seconds, outbox_deliver, outbox_requeue_due, outbox_retry, push_enqueue
from roaming.partners.choices import PartnerStatus
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_client_retries(settings):
    """The engine's own retries are under test: no quick retries inside the HTTP client."""
    settings.OCPI_CLIENT_RETRIES = 0


@pytest.fixture
def receiver(stub_server):
    partner, _ = registered_partner_with_token(
        endpoints=[("locations", "RECEIVER", f"{stub_server.url}/ocpi/2.2.1/emsp/locations")]
    )
    return partner


def due_now():
    """Fast-forward: every pending message due now, and no partner backing off."""
    from django.core.cache import cache

    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    cache.clear()


def enqueue(key="NL/EXA/LOC1", method="PUT", path="NL/EXA/LOC1", body=None):
    return push_enqueue(module="locations", object_key=key, method=method, path=path, body=body or {"id": "LOC1"})


def test_enqueue_fans_out_only_to_partners_with_the_receiver_endpoint(stub_server, receiver):
    registered_partner_with_token(party_id="XYZ", endpoints=[("locations", "SENDER", "http://x/locations")])
    suspended, _ = registered_partner_with_token(
        party_id="SUS", endpoints=[("locations", "RECEIVER", "http://x/locations")]
    )
    suspended.status = PartnerStatus.SUSPENDED
    suspended.save()

    assert enqueue() == 1
    assert list(OutboxMessage.objects.values_list("partner_id", "status")) == [(receiver.pk, "pending")]


def test_delivery_in_order_with_headers_and_body(stub_server, receiver, django_capture_on_commit_callbacks):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (200, envelope()))
    stub_server.route("PATCH", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1/E1", (200, envelope()))
    with django_capture_on_commit_callbacks(execute=True):
        enqueue()
        enqueue(method="PATCH", path="NL/EXA/LOC1/E1", body={"status": "CHARGING"})

    assert [(r.method, r.path) for r in stub_server.requests] == [
        ("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1"),
        ("PATCH", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1/E1"),
    ]
    patch = stub_server.requests[1]
    assert patch.json() == {"status": "CHARGING"}
    assert patch.headers["Authorization"].startswith("Token ")
    assert patch.headers["OCPI-from-country-code"] == "NL"
    assert patch.headers["OCPI-to-party-id"] == "MSP"
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    assert all(m.http_status == 200 and m.ocpi_status == 1000 for m in OutboxMessage.objects.all())


def test_transient_failure_keeps_message_pending_and_blocks_later_ones(stub_server, receiver):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (503, b"down"))
    enqueue()
    enqueue(method="PATCH", path="NL/EXA/LOC1", body={"name": "x"})

    assert outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1").endswith("retry later")

    first, second = OutboxMessage.objects.order_by("id")
    assert first.status == "pending" and first.attempts == 1 and first.next_attempt_at > timezone.now()
    assert first.http_status == 503 and "503" in first.last_error
    assert second.status == "pending" and second.attempts == 0
    assert not stub_server.calls("PATCH", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1")


def test_refusal_fails_the_message_and_moves_on(stub_server, receiver):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (200, envelope(status_code=2001, message="bad")))
    stub_server.route("PATCH", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (200, envelope()))
    enqueue()
    enqueue(method="PATCH", path="NL/EXA/LOC1", body={"name": "x"})

    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")

    first, second = OutboxMessage.objects.order_by("id")
    assert (first.status, first.ocpi_status) == ("failed", 2001)
    assert "bad" in first.last_error
    assert second.status == "delivered"


def test_a_later_put_supersedes_pending_messages(stub_server, receiver):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (200, envelope()))
    enqueue(body={"v": 1})
    enqueue(method="PATCH", path="NL/EXA/LOC1", body={"v": 2})
    enqueue(body={"v": 3})

    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")

    assert [r.json() for r in stub_server.requests] == [{"v": 3}]
    assert list(OutboxMessage.objects.order_by("id").values_list("status", flat=True)) == [
        "superseded",
        "superseded",
        "delivered",
    ]


def test_messages_wait_while_partner_is_suspended_and_are_cancelled_when_it_leaves(stub_server, receiver):
    enqueue()
    receiver.status = PartnerStatus.SUSPENDED
    receiver.save()
    assert outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1") == "partner paused"
    assert OutboxMessage.objects.get().status == "pending"

    receiver.status = PartnerStatus.UNREGISTERED
    receiver.save()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    assert OutboxMessage.objects.get().status == "cancelled"
    assert stub_server.requests == []


def test_requeue_and_retry_deliver_due_messages(stub_server, receiver):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (500, b"x"), (200, envelope()))
    enqueue()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    message = OutboxMessage.objects.get()
    assert message.status == "pending"

    assert outbox_requeue_due() == 0  # not due yet: backoff
    due_now()
    assert outbox_requeue_due() == 1  # eager task ran
    message.refresh_from_db()
    assert message.status == "delivered" and message.attempts == 2


def test_staff_retry_resets_a_failed_message(stub_server, receiver, django_capture_on_commit_callbacks):
    stub_server.route(
        "PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (404, envelope(status_code=2000)), (200, envelope())
    )
    enqueue()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    assert OutboxMessage.objects.get().status == "failed"

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_retry(message_ids=[OutboxMessage.objects.get().pk]) == 1
    assert OutboxMessage.objects.get().status == "delivered"


def test_backoff_grows_and_is_capped(settings):
    settings.OCPI_PUSH_BACKOFF_BASE = 2
    settings.OCPI_PUSH_BACKOFF_MAX = 60
    assert 1.6 <= backoff_seconds(1) <= 2.4
    assert 6.4 <= backoff_seconds(3) <= 9.6
    assert backoff_seconds(20) <= 72


def test_gives_up_after_max_attempts_but_keeps_the_message(stub_server, receiver, settings):
    settings.OCPI_PUSH_MAX_ATTEMPTS = 2
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (503, b"down"))
    enqueue()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    due_now()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 2)


def test_outbox_admin_lists_and_retries(admin_client, stub_server, receiver):
    from django.urls import reverse

    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (200, envelope(status_code=2001, message="no")))
    enqueue()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    page = admin_client.get(reverse("admin:ocpi_outboxmessage_changelist") + "?status__exact=failed")
    assert "NL/EXA/LOC1" in page.content.decode()
    partner_page = admin_client.get(reverse("admin:partners_partner_change", args=[receiver.pk])).content.decode()
    assert "1 failed" in partner_page


def test_enqueue_many_writes_in_bulk_for_every_receiver(stub_server, receiver, django_assert_max_num_queries):
    from roaming.ocpi.push import PushItem, push_enqueue_many

    registered_partner_with_token(party_id="TWO", endpoints=[("locations", "RECEIVER", f"{stub_server.url}/two")])
    items = [PushItem(f"NL/EXA/L{i}", "PUT", f"NL/EXA/L{i}", {"id": f"L{i}"}) for i in range(300)]
    with django_assert_max_num_queries(3):  # receivers, bulk insert (1000 per batch)
        assert push_enqueue_many(module="locations", items=items) == 600
    assert OutboxMessage.objects.filter(status="pending").count() == 600


def test_a_message_waits_for_earlier_pushes_of_the_objects_it_names(stub_server, receiver):
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (503, b"down"), (200, envelope()))
    stub_server.route("DELETE", "/ocpi/2.2.1/emsp/locations/NL/EXA/T1", (200, envelope()))
    enqueue()  # location PUT, fails first
    push_enqueue(
        module="locations",
        object_key="NL/EXA/T1",
        method="DELETE",
        path="NL/EXA/T1",
        body=None,
        after_keys=("NL/EXA/LOC1",),
    )
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    assert outbox_deliver(receiver.pk, "locations", "NL/EXA/T1") == "waiting for earlier pushes of related objects"
    assert not stub_server.calls("DELETE", "/ocpi/2.2.1/emsp/locations/NL/EXA/T1")

    due_now()
    outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1")
    outbox_deliver(receiver.pk, "locations", "NL/EXA/T1")
    assert [r.method for r in stub_server.requests] == ["PUT", "PUT", "DELETE"]


def test_prune_deletes_only_old_finished_messages(receiver, settings):
    from datetime import timedelta

    from roaming.ocpi.push import outbox_prune

    settings.OCPI_OUTBOX_RETENTION_DAYS = 7
    statuses = ["delivered", "superseded", "cancelled", "failed", "pending"]
    old = {
        s: OutboxMessage.objects.create(
            partner=receiver, module="locations", object_key=s, method="PUT", path=s, status=s
        )
        for s in statuses
    }
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(days=8))
    recent = OutboxMessage.objects.create(
        partner=receiver, module="locations", object_key="r", method="PUT", path="r", status="delivered"
    )

    assert outbox_prune() == 3
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {old["failed"].pk, old["pending"].pk, recent.pk}


def test_the_housekeeping_prune_is_scheduled_daily():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(task="ocpi.housekeeping_prune").crontab.hour == "3"


def test_one_partner_down_backs_off_as_a_whole_while_a_healthy_one_is_served(stub_server, receiver, dead_url):
    """The down partner costs one call, not one per object (nor the client's quick retries inside a worker)."""
    down, _ = registered_partner_with_token(
        party_id="DWN", endpoints=[("locations", "RECEIVER", f"{dead_url}/ocpi/2.2.1/emsp/locations")]
    )
    for n in range(3):
        stub_server.route("PUT", f"/ocpi/2.2.1/emsp/locations/NL/EXA/L{n}", (200, envelope()))
        enqueue(key=f"L{n}", path=f"NL/EXA/L{n}")
    for n in range(3):
        outbox_deliver(down.pk, "locations", f"L{n}")
        outbox_deliver(receiver.pk, "locations", f"L{n}")

    to_down = OutboxMessage.objects.filter(partner=down).order_by("object_key")
    assert [m.attempts for m in to_down] == [1, 0, 0]
    assert all(m.status == "pending" and m.next_attempt_at > timezone.now() for m in to_down)
    assert TrafficLog.objects.filter(partner=down, direction="OUT").count() == 1
    assert set(OutboxMessage.objects.filter(partner=receiver).values_list("status", flat=True)) == {"delivered"}

    due_now()  # the partner's retry time has come, and it is back
    stub_server_down_url = f"{stub_server.url}/ocpi/2.2.1/emsp/locations"
    down.endpoints.filter(identifier="locations").update(url=stub_server_down_url)
    for n in range(3):
        outbox_deliver(down.pk, "locations", f"L{n}")
    assert set(to_down.values_list("status", flat=True)) == {"delivered"}


def test_push_engine_does_not_import_the_projects_celery_wiring():
    """The OCPI core depends on Celery, never on ``config`` (the project's wiring)."""
    import ast
    import inspect

    import roaming.ocpi.push as push

    tree = ast.parse(inspect.getsource(push))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(name == "config" or name.startswith("config.") for name in imported)


def test_transient_failure_schedules_a_delayed_task_when_workers_run(stub_server, receiver, monkeypatch, settings):
    """Outside eager mode the retry is a countdown task on the app the project wired (the broker is stubbed)."""
    from roaming.ocpi.tasks import outbox_deliver_task

    scheduled = []
    monkeypatch.setattr(
        outbox_deliver_task, "apply_async", lambda args, countdown, **options: scheduled.append((args, countdown))
    )
    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/LOC1", (503, b"down"))
    enqueue()

    conf = outbox_deliver_task.app.conf
    conf.task_always_eager = False
    try:
        assert outbox_deliver(receiver.pk, "locations", "NL/EXA/LOC1").endswith("retry later")
    finally:
        conf.task_always_eager = True

    assert len(scheduled) == 1
    args, countdown = scheduled[0]
    assert args == (receiver.pk, "locations", "NL/EXA/LOC1")
    assert 0 < countdown <= settings.OCPI_PUSH_BACKOFF_BASE * 1.2


def test_a_bulk_change_schedules_deliveries_in_batches(
    stub_server, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    """A 100,000-card import must not publish 100,000 broker messages: above a threshold, one task per batch of
    objects delivers each object in order, as the single-object task does."""
    from roaming.ocpi import push, tasks

    stub_server.route("PUT", "/ocpi/2.2.1/emsp/locations/NL/EXA/L0", (200, envelope()))
    for i in range(1, 120):
        stub_server.route("PUT", f"/ocpi/2.2.1/emsp/locations/NL/EXA/L{i}", (200, envelope()))
    published = []
    for task in (tasks.outbox_deliver_task, tasks.outbox_deliver_batch_task):
        original = task.apply_async
        monkeypatch.setattr(
            task, "apply_async", lambda *a, _o=original, _t=task, **kw: (published.append(_t.name), _o(*a, **kw))[1]
        )
    items = [push.PushItem(f"NL/EXA/L{i}", "PUT", f"NL/EXA/L{i}", {"id": f"L{i}"}) for i in range(120)]

    with django_capture_on_commit_callbacks(execute=True):
        push.push_enqueue_many(module="locations", items=items)

    assert published == ["ocpi.outbox_deliver_batch"]  # 120 objects, batches of 500
    assert OutboxMessage.objects.filter(status="delivered").count() == 120
    assert len(stub_server.requests) == 120


@pytest.fixture
def workers_run(monkeypatch):
    """Outside eager mode, with the broker stubbed: the tasks published, as (task name, args, countdown)."""
    from roaming.ocpi import push

    published = []
    monkeypatch.setattr(
        push, "publish", lambda task, args=(), countdown=None: published.append((task.name, args, countdown)) or True
    )
    from roaming.ocpi.tasks import outbox_deliver_task

    conf = outbox_deliver_task.app.conf
    conf.task_always_eager = False
    yield published
    conf.task_always_eager = True


def test_messages_due_later_wake_a_worker_once_per_partner_module_and_window(receiver, settings, workers_run):
    """Coalesced PATCHes of a thousand live sessions must not cost a broker message each: one wake-up per partner,
    module and window of due times, at the window's end."""
    from roaming.ocpi.push import push_schedule

    settings.OCPI_PUSH_WAKE_SECONDS = 5
    now = timezone.now()
    window_end = (int(now.timestamp() // 5) + 4) * 5  # a window 15-20 s ahead
    in_window = [dt.datetime.fromtimestamp(window_end - d, tz=dt.UTC) for d in (0.5, 2, 4.5)]
    for n, at in enumerate(in_window):
        push_schedule(receiver.pk, "sessions", f"NL/CPO/S{n}", at=at)
    push_schedule(receiver.pk, "sessions", "NL/CPO/LATER", at=in_window[0] + dt.timedelta(seconds=5))
    push_schedule(receiver.pk, "cdrs", "NL/CPO/C1", at=in_window[0])
    push_schedule(receiver.pk, "sessions", "NL/CPO/NOW")

    names = [(name, args) for name, args, _ in workers_run]
    assert names == [
        ("ocpi.outbox_deliver_due", (receiver.pk, "sessions")),
        ("ocpi.outbox_deliver_due", (receiver.pk, "sessions")),  # the next window
        ("ocpi.outbox_deliver_due", (receiver.pk, "cdrs")),
        ("ocpi.outbox_deliver", (receiver.pk, "sessions", "NL/CPO/NOW")),
    ]
    countdown = workers_run[0][2]
    assert window_end - now.timestamp() < countdown <= window_end - now.timestamp() + 1.5  # the window's end, + slack
    assert workers_run[1][2] - countdown == pytest.approx(5, abs=0.5)


def test_a_wake_up_the_broker_refused_is_published_by_the_next_message_of_its_window(receiver, monkeypatch):
    from roaming.ocpi import push

    attempts = []
    monkeypatch.setattr(push, "publish", lambda task, args=(), countdown=None: attempts.append(args) and False)
    from roaming.ocpi.tasks import outbox_deliver_task

    outbox_deliver_task.app.conf.task_always_eager = False
    try:
        at = timezone.now() + dt.timedelta(seconds=30)
        push.push_schedule(receiver.pk, "sessions", "NL/CPO/S1", at=at)
        push.push_schedule(receiver.pk, "sessions", "NL/CPO/S2", at=at)
    finally:
        outbox_deliver_task.app.conf.task_always_eager = True
    assert len(attempts) == 2  # the failed claim was released


def test_the_wake_up_delivers_every_due_object_of_the_partner_and_module_only(stub_server, receiver):
    from roaming.ocpi.tasks import outbox_deliver_due_task

    for key in ("L1", "L2", "L3"):
        stub_server.route("PUT", f"/ocpi/2.2.1/emsp/locations/NL/EXA/{key}", (200, envelope()))
        enqueue(key=f"NL/EXA/{key}", path=f"NL/EXA/{key}")
    OutboxMessage.objects.filter(object_key="NL/EXA/L3").update(next_attempt_at=timezone.now() + dt.timedelta(days=1))

    assert outbox_deliver_due_task(receiver.pk, "locations") == "2 objects, 0 handed back"
    delivered = OutboxMessage.objects.filter(status="delivered").values_list("object_key", flat=True)
    assert sorted(delivered) == ["NL/EXA/L1", "NL/EXA/L2"]
    assert OutboxMessage.objects.get(object_key="NL/EXA/L3").status == "pending"


def test_due_objects_are_listed_once_however_many_messages_they_have(receiver, monkeypatch):
    """The model's ordering (-id) must not slip into the DISTINCT: one wake-up or re-queue per object, not per
    message."""
    from roaming.ocpi import push

    for body in ({"id": "LOC1"}, {"id": "LOC1", "name": "again"}):
        enqueue(body=body)
    enqueue(key="NL/EXA/LOC2", path="NL/EXA/LOC2")
    assert sorted(push.outbox_due_keys(receiver.pk, "locations")) == ["NL/EXA/LOC1", "NL/EXA/LOC2"]
    published = []
    monkeypatch.setattr(push, "publish", lambda task, args=(), countdown=None: published.append(args) or True)
    assert push.outbox_requeue_due() == 2
    assert sorted(published) == [(receiver.pk, "locations", "NL/EXA/LOC1"), (receiver.pk, "locations", "NL/EXA/LOC2")]
