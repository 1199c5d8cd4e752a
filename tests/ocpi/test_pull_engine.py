"""The pull engine (roaming.ocpi.pull) against a real HTTP partner stub serving paginated lists."""

import gc
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from roaming.ocpi import pull
from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import PullHandler, SyncError, sync_pull
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/cpo/things"


@pytest.fixture
def ingested(monkeypatch):
    received = []

    def ingest(*, partner_id, objects):
        received.append([o["id"] for o in objects])
        bad = [o for o in objects if o.get("bad")]
        return {"accepted": len(objects) - len(bad), "ignored": 0, "rejected": [f"{o['id']}: bad" for o in bad]}

    monkeypatch.setitem(pull._handlers, "things", PullHandler(module="things", ingest=ingest))
    return received


@pytest.fixture
def sender(stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(
        role="CPO", party_id="CPO", endpoints=[("things", "SENDER", f"{stub_server.url}{PATH}")]
    )
    return partner


def paged(stub, pages):
    """Serve ``pages`` (lists of objects) with Link headers like a real sender."""

    def handle(request):
        offset = int(parse_qs(request.query).get("offset", ["0"])[0])
        index = offset // 2
        headers = {"X-Total-Count": str(sum(map(len, pages))), "X-Limit": "2"}
        if index + 1 < len(pages):
            headers["Link"] = f'<{stub.url}{PATH}?offset={offset + 2}&limit=2>; rel="next"'
        return 200, envelope(pages[index]), headers

    stub.route("GET", PATH, handle)


def test_pulls_every_page_and_records_the_run(stub_server, sender, ingested):
    paged(stub_server, [[{"id": "a"}, {"id": "b"}], [{"id": "c"}, {"id": "d", "bad": True}], [{"id": "e"}]])

    run = sync_pull(partner_id=sender.pk, module="things")

    assert ingested == [["a", "b"], ["c", "d"], ["e"]]
    assert (run.status, run.pages, run.received, run.accepted, run.rejected) == ("succeeded", 3, 5, 4, 1)
    assert run.errors == ["d: bad"]
    assert run.date_from is None
    assert "date_from" not in stub_server.requests[0].query
    assert "limit=1000" in stub_server.requests[0].query


def test_next_run_is_incremental_from_the_start_of_the_last_success_minus_the_skew_margin(
    stub_server, sender, ingested, settings
):
    settings.OCPI_PULL_CLOCK_SKEW_SECONDS = 90
    paged(stub_server, [[{"id": "a"}]])
    first = sync_pull(partner_id=sender.pk, module="things")
    second = sync_pull(partner_id=sender.pk, module="things")

    expected = first.started_at - timedelta(seconds=90)  # the partner's clock may run behind ours
    assert second.date_from == expected
    query = parse_qs(stub_server.requests[-1].query)
    assert query["date_from"] == [expected.strftime("%Y-%m-%dT%H:%M:%SZ")]

    full = sync_pull(partner_id=sender.pk, module="things", full=True)
    assert full.date_from is None and "date_from" not in stub_server.requests[-1].query


def test_a_failed_page_is_resumed_by_the_next_run(stub_server, sender, ingested):
    pages = [[{"id": "a"}, {"id": "b"}], [{"id": "c"}, {"id": "d"}], [{"id": "e"}]]
    paged(stub_server, pages)
    calls = {"n": 0}
    original = stub_server.routes[("GET", PATH)][0]

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 2:
            return 503, b"maintenance"
        return original(request)

    stub_server.route("GET", PATH, flaky)

    failed = sync_pull(partner_id=sender.pk, module="things")
    assert failed.status == "failed" and failed.pages == 1 and "503" in failed.last_error
    assert "offset=2" in failed.resume_url

    resumed = sync_pull(partner_id=sender.pk, module="things")
    assert resumed.pk == failed.pk
    assert resumed.status == "succeeded" and resumed.pages == 3
    assert ingested == [["a", "b"], ["c", "d"], ["e"]]  # page one was not fetched twice


def test_a_crashed_run_resumes_from_its_saved_page(stub_server, sender, ingested):
    paged(stub_server, [[{"id": "a"}, {"id": "b"}], [{"id": "c"}]])
    crashed = SyncRun.objects.create(
        partner=sender,
        module="things",
        status="running",
        pages=1,
        resume_url=f"{stub_server.url}{PATH}?offset=2&limit=2",
    )
    run = sync_pull(partner_id=sender.pk, module="things")
    assert run.pk == crashed.pk and run.status == "succeeded"
    assert ingested == [["c"]]


def test_refuses_unknown_module_missing_endpoint_and_inactive_partner(sender, ingested):
    with pytest.raises(SyncError, match="no pull handler"):
        sync_pull(partner_id=sender.pk, module="nothing")
    sender.endpoints.all().delete()
    with pytest.raises(SyncError, match="SENDER endpoint"):
        sync_pull(partner_id=sender.pk, module="things")
    sender.status = "suspended"
    sender.save()
    with pytest.raises(SyncError, match="not registered"):
        sync_pull(partner_id=sender.pk, module="things")


def test_concurrent_run_is_skipped(stub_server, sender, ingested):
    """Another worker (another database session) holds the partner+module lock."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or None
    )
    try:
        lock_name = f"ocpi:sync:{sender.pk}:things"
        assert other.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, %s))", [lock_name, 0x0C91]).fetchone()[0]
        assert sync_pull(partner_id=sender.pk, module="things") is None
        assert not stub_server.requests
    finally:
        other.close()


def test_schedule_pull_creates_a_beat_task(sender):
    from django_celery_beat.models import PeriodicTask

    from roaming.partners.services import partner_schedule_pull

    assert partner_schedule_pull(partner=sender, module="things", every_minutes=30) is True
    task = PeriodicTask.objects.get(task="ocpi.sync_pull")
    assert task.args == f'[{sender.pk}, "things"]'
    assert task.interval.every == 30
    assert partner_schedule_pull(partner=sender, module="things") is False  # updated, not duplicated


def test_prune_keeps_the_latest_success_per_partner_and_module(sender, settings):
    from django.utils import timezone

    settings.OCPI_SYNC_RUN_RETENTION_DAYS = 10
    old = timezone.now() - timedelta(days=20)

    def run(status, days_ago, module="things"):
        made = SyncRun.objects.create(partner=sender, module=module, status=status)
        SyncRun.objects.filter(pk=made.pk).update(started_at=old + timedelta(days=20 - days_ago))
        return made.pk

    oldest_ok, latest_ok = run("succeeded", 30), run("succeeded", 20)
    old_failed, recent_ok = run("failed", 15), run("succeeded", 1, module="other")
    still_running = run("running", 25)

    assert pull.sync_runs_prune() == 2
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {latest_ok, recent_ok, still_running}
    assert oldest_ok and old_failed


@pytest.fixture
def removing(monkeypatch):
    """A handler that records what the engine asks it to remove."""
    calls = []

    def ingest(*, partner_id, objects):
        return {"accepted": len(objects), "ignored": 0, "rejected": []}

    def remove_missing(*, partner_id, seen, before):
        calls.append((partner_id, sorted(seen), before))
        return ["XX/CPO/gone"]

    monkeypatch.setitem(
        pull._handlers, "things", PullHandler(module="things", ingest=ingest, remove_missing=remove_missing)
    )
    return calls


def _things(*ids):
    return [{"country_code": "xx", "party_id": "cpo", "id": i} for i in ids]


def test_a_complete_full_pull_asks_the_module_to_remove_what_was_not_returned(stub_server, sender, removing):
    paged(stub_server, [_things("a", "b"), _things("c")])

    run = sync_pull(partner_id=sender.pk, module="things", full=True)

    assert removing == [(sender.pk, [("XX", "CPO", "A"), ("XX", "CPO", "B"), ("XX", "CPO", "C")], run.started_at)]
    run.refresh_from_db()
    assert (run.status, run.removed, run.removed_ids) == ("succeeded", 1, ["XX/CPO/gone"])


def test_an_incremental_pull_never_removes(stub_server, sender, removing):
    paged(stub_server, [_things("a")])

    run = sync_pull(partner_id=sender.pk, module="things")

    assert removing == []
    assert (run.status, run.removed, run.removed_ids) == ("succeeded", 0, [])


def test_a_failed_or_resumed_full_pull_never_removes(stub_server, sender, removing):
    paged(stub_server, [_things("a", "b"), _things("c")])
    original = stub_server.routes[("GET", PATH)][0]
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        return (503, b"down") if calls["n"] == 2 else original(request)

    stub_server.route("GET", PATH, flaky)
    failed = sync_pull(partner_id=sender.pk, module="things", full=True)
    assert (failed.status, failed.removed) == ("failed", 0)

    resumed = sync_pull(partner_id=sender.pk, module="things", full=True)
    assert (resumed.pk, resumed.status, resumed.removed) == (failed.pk, "succeeded", 0)
    assert removing == []  # the first page was seen by another go: the list is not known whole


def test_a_full_pull_with_an_object_without_key_removes_nothing(stub_server, sender, removing):
    paged(stub_server, [[*_things("a"), {"id": "no-party"}]])

    run = sync_pull(partner_id=sender.pk, module="things", full=True)

    assert (run.status, run.removed, removing) == ("succeeded", 0, [])


def test_the_garbage_collector_is_off_while_a_page_is_ingested_and_back_after(stub_server, sender, monkeypatch):
    seen = []

    def ingest(*, partner_id, objects):
        seen.append(gc.isenabled())
        if objects[0]["id"] == "boom":
            raise RuntimeError("the module failed")
        return {"accepted": len(objects)}

    monkeypatch.setitem(pull._handlers, "things", PullHandler(module="things", ingest=ingest))
    paged(stub_server, [[{"id": "a"}], [{"id": "b"}]])
    assert gc.isenabled()

    sync_pull(partner_id=sender.pk, module="things")

    assert seen == [False, False]
    assert gc.isenabled()
    paged(stub_server, [[{"id": "boom"}]])
    with pytest.raises(RuntimeError):
        sync_pull(partner_id=sender.pk, module="things", full=True)
    assert gc.isenabled()  # back on when the ingest fails


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with pull.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_garbage_collector_is_off_while_a_page_is_fetched(monkeypatch):
    fetched = []

    def pages():
        for page in ("first", "second"):
            fetched.append(gc.isenabled())
            yield page

    assert list(pull._collector_paused_while_fetching(pages())) == ["first", "second"]
    assert fetched == [False, False]
    assert gc.isenabled()
