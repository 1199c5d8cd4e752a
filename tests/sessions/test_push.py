"""Pushes of our sessions to the owning eMSP (mod_sessions.asciidoc, "Flow and Lifecycle"): PUT on creation, PATCH
on change through the outbox, meter updates coalesced, status changes at once, only to the token's eMSP, and a
refused PATCH followed by GET-then-PUT. The eMSP is a real HTTP stub."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.push import outbox_deliver
from roaming.sessions.models import ChargingSession
from tests.partners.factories import registered_partner_with_token
from tests.sessions.conftest import EMSP_PATH
from tests.sessions.factories import charger, start_body
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

TWO_RATES = [
    # 0.25/kWh before 10:00 local, 0.40/kWh after: a new charging period at 10:00 Amsterdam (08:00Z)
    {
        "price_components": [{"type": "ENERGY", "price": "0.25", "vat": "10.0", "step_size": 1}],
        "restrictions": {"start_time": "00:00", "end_time": "10:00"},
    },
    {"price_components": [{"type": "ENERGY", "price": "0.40", "vat": "10.0", "step_size": 1}]},
]


@pytest.fixture
def site(db):
    return charger(tariff_elements=TWO_RATES)


def sent(stub_server, method=None):
    return [r for r in stub_server.requests if r.path.startswith(EMSP_PATH) and (method is None or r.method == method)]


def deliver_due(session):
    """What the periodic re-queue does once a coalesced PATCH is due: make it due now and deliver."""
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    cache.delete(f"ocpi:outbox:backoff:{session.emsp_partner_id}")
    return outbox_deliver(session.emsp_partner_id, "sessions", session.object_key)


def meter(csms, minute, wh, tx="TX1"):
    hour, minute = divmod(30 + minute, 60)
    return csms(
        "post",
        f"sessions/{tx}/meter_values",
        {"timestamp": f"2024-05-06T{7 + hour:02d}:{minute:02d}:00Z", "energy_wh": wh},
    )


def test_creation_is_put_to_the_owning_emsp_only(csms, emsp, site, stub_server, django_capture_on_commit_callbacks):
    registered_partner_with_token(  # another eMSP with a sessions receiver: must never hear of it
        country_code="DE", party_id="OTH", role="EMSP", endpoints=[("sessions", "RECEIVER", f"{stub_server.url}/other")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
    session = ChargingSession.objects.get()
    puts = sent(stub_server, "PUT")
    assert [r.path for r in puts] == [f"{EMSP_PATH}/NL/EXA/{session.session_id}"]
    body = puts[0].json()
    assert (body["status"], body["cdr_token"]["party_id"], body["kwh"]) == ("ACTIVE", "MSP", 0)
    assert not [r for r in stub_server.requests if r.path.startswith("/other")]
    assert OutboxMessage.objects.filter(partner=emsp[0]).count() == 1


def test_meter_updates_are_coalesced_into_one_patch(
    csms, emsp, site, stub_server, django_capture_on_commit_callbacks, settings
):
    settings.SESSIONS_PATCH_INTERVAL_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
        for minute in range(1, 21):
            meter(csms, minute, 1000 + minute * 150)
    session = ChargingSession.objects.get()
    # the first update goes at once, the next 19 wait in one PATCH until the interval is over
    assert len(sent(stub_server, "PATCH")) == 1
    assert OutboxMessage.objects.filter(method="PATCH").count() == 2
    deliver_due(session)
    patches = sent(stub_server, "PATCH")
    assert len(patches) == 2
    assert patches[-1].json()["kwh"] == 3.0
    assert "charging_periods" not in patches[-1].json()  # the one period is still open


def test_status_change_goes_at_once_with_what_was_waiting(
    csms, emsp, site, stub_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
        meter(csms, 1, 1500)
        meter(csms, 2, 2000)  # waits (coalesced)
        csms("post", "sessions/TX1/status", {"status": "INVALID", "timestamp": "2024-05-06T07:33:00Z"})
    patches = [r.json() for r in sent(stub_server, "PATCH")]
    assert len(patches) == 2
    assert (patches[-1]["status"], patches[-1]["kwh"]) == ("INVALID", 1.0)
    assert not OutboxMessage.objects.filter(status="pending").exists()


def test_closed_periods_are_patched_once_and_the_final_state_matches(
    csms, emsp, site, stub_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
        meter(csms, 20, 5000)  # 07:50Z, first rate
        meter(csms, 40, 9000)  # 08:10Z: crosses 10:00 local, the first period closes
        meter(csms, 50, 11000)
        csms("post", "sessions/TX1/stop", {"end_date_time": "2024-05-06T08:30:00Z", "meter_stop": 13000})
    session = ChargingSession.objects.get()
    assert len(session.charging_periods) == 2
    assert [p["tariff_id"] for p in session.charging_periods] == ["T-CP-1", "T-CP-1"]
    assert session.status == "COMPLETED"
    deliver_due(session)
    # replay what the eMSP received: PUT, then PATCHes appending periods
    received = None
    for request in sent(stub_server):
        body = request.json()
        if request.method == "PUT":
            received = body
        else:
            periods = received.get("charging_periods", []) + body.pop("charging_periods", [])
            received.update(body)
            if periods:
                received["charging_periods"] = periods
    from roaming.sessions.ocpi.render import session_to_ocpi
    from roaming.sessions.services.announce import jsonable

    assert received == jsonable(session_to_ocpi(session))
    starts = [p["start_date_time"] for p in received["charging_periods"]]
    assert starts == ["2024-05-06T07:30:00Z", "2024-05-06T08:00:00Z"]


def test_live_price_splits_periods_where_the_tariff_element_changes(csms, emsp, site):
    csms("post", "sessions", start_body())
    meter(csms, 30, 5000)  # 08:00Z = 10:00 local: 4 kWh at 0.25
    meter(csms, 60, 9000)  # 08:30Z: 4 kWh at 0.40
    session = ChargingSession.objects.get()
    energy = [[d["volume"] for d in p["dimensions"] if d["type"] == "ENERGY"] for p in session.charging_periods]
    assert energy == [[4], [4]]
    assert (str(session.total_cost_excl_vat), str(session.total_cost_incl_vat)) == ("2.600000", "2.860000")


def test_a_refused_patch_is_followed_by_get_then_put(csms, emsp, site, stub_server, django_capture_on_commit_callbacks):
    stub_server.route("PATCH", f"{EMSP_PATH}/*", (200, envelope(status_code=2001, message="no such session")))
    stub_server.route("GET", f"{EMSP_PATH}/*", (404, envelope(status_code=2000, message="unknown")))
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
        meter(csms, 1, 1500)
    methods = [r.method for r in sent(stub_server)]
    assert methods == ["PUT", "PATCH", "GET", "PUT"]
    session = ChargingSession.objects.get()
    assert sent(stub_server)[-1].json()["kwh"] == 0.5
    assert OutboxMessage.objects.filter(method="PATCH", status="failed").count() == 1
    assert session.announced_periods == []


def test_session_without_a_known_emsp_partner_is_not_pushed(csms, site, db):
    from tests.sessions.factories import cached_token

    cached_token()  # the cache holds the token but no registered partner has that eMSP role
    assert csms("post", "sessions", start_body()).status_code == 201
    assert not OutboxMessage.objects.exists()


def test_pushes_wait_while_the_emsp_is_down_and_arrive_in_order(
    csms, emsp, site, stub_server, django_capture_on_commit_callbacks
):
    stub_server.route("PUT", f"{EMSP_PATH}/*", (503, b"down"), (200, envelope()))
    with django_capture_on_commit_callbacks(execute=True):
        csms("post", "sessions", start_body())
        csms("post", "sessions/TX1/status", {"status": "PENDING", "timestamp": "2024-05-06T07:31:00Z"})
    assert [r.method for r in sent(stub_server)] == ["PUT"]  # the PATCH waits behind the failed PUT
    session = ChargingSession.objects.get()
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    cache.delete(f"ocpi:outbox:backoff:{session.emsp_partner_id}")  # the partner's backoff is over too
    outbox_deliver(session.emsp_partner_id, "sessions", session.object_key)
    assert [r.method for r in sent(stub_server)] == ["PUT", "PUT", "PATCH"]


def test_meter_update_with_its_push_costs_constant_queries(csms, emsp, site, django_assert_num_queries):
    csms("post", "sessions", start_body())
    # The first update goes at once and the second starts the PATCH that waits for the interval. Each: staff token,
    # the session, the one statement (no PATCH waits: it writes nothing), then the locked path: savepoint, the
    # session (locked), the merge attempt, the receivers, the new PATCH, the session's UPDATE, release.
    for minute in (1, 2):
        with django_assert_num_queries(10):
            assert meter(csms, minute, 1000 + minute * 100).status_code == 200
    for minute in range(3, 7):  # the next ones merge into the waiting PATCH: staff token, the session, one statement
        with django_assert_num_queries(3):
            assert meter(csms, minute, 1000 + minute * 100).status_code == 200
    assert OutboxMessage.objects.filter(method="PATCH").count() == 2


def test_resync_puts_nothing_when_the_emsp_already_holds_our_copy(csms, emsp, site, stub_server):
    from roaming.sessions.ocpi.render import session_to_ocpi
    from roaming.sessions.services.announce import jsonable, session_resync

    csms("post", "sessions", start_body())
    session = ChargingSession.objects.get()
    stub_server.route("GET", f"{EMSP_PATH}/*", (200, envelope(jsonable(session_to_ocpi(session)))))
    before = OutboxMessage.objects.count()
    assert session_resync(partner_id=session.emsp_partner_id, object_key=session.object_key) == "in sync"
    assert OutboxMessage.objects.count() == before


def test_the_live_connection_of_the_emsp_gets_the_session_not_an_unregistered_one(csms, site, stub_server, db):
    from roaming.partners.choices import PartnerStatus
    from tests.sessions.factories import cached_token

    old, _ = registered_partner_with_token(
        country_code="DE", party_id="MSP", role="EMSP", endpoints=[("sessions", "RECEIVER", f"{stub_server.url}/old")]
    )
    old.status = PartnerStatus.UNREGISTERED
    old.save()
    live, _ = registered_partner_with_token(
        country_code="DE", party_id="MSP", role="EMSP", endpoints=[("sessions", "RECEIVER", f"{stub_server.url}/new")]
    )
    cached_token(partner=live)
    csms("post", "sessions", start_body())
    assert ChargingSession.objects.get().emsp_partner == live
    assert list(OutboxMessage.objects.values_list("partner_id", flat=True)) == [live.pk]


def test_a_meter_update_merges_into_the_waiting_patch_in_one_statement(csms, emsp, site, django_assert_num_queries):
    csms("post", "sessions", start_body())
    meter(csms, 20, 5000)  # 07:50Z: the first PATCH, due at once
    meter(csms, 25, 6000)  # waits for the interval
    waiting = OutboxMessage.objects.filter(method="PATCH").latest("id")
    assert "charging_periods" not in waiting.body

    # staff token, the session, the merge and the session's UPDATE in one statement
    with django_assert_num_queries(3):
        assert meter(csms, 40, 9000).status_code == 200  # 08:10Z: crosses 10:00 local, the first period closes
    merged = OutboxMessage.objects.get(pk=waiting.pk)
    assert OutboxMessage.objects.filter(method="PATCH").count() == 2
    assert merged.body["kwh"] == 8 and merged.body["status"] == "ACTIVE"  # meter_start 1000 Wh
    assert [p["start_date_time"] for p in merged.body["charging_periods"]] == ["2024-05-06T07:30:00Z"]
    assert merged.next_attempt_at == waiting.next_attempt_at  # a meter update does not hurry it

    csms("post", "sessions/TX1/stop", {"end_date_time": "2024-05-06T08:30:00Z", "meter_stop": 13000})
    merged = OutboxMessage.objects.get(pk=waiting.pk)
    starts = [p["start_date_time"] for p in merged.body["charging_periods"]]
    assert starts == ["2024-05-06T07:30:00Z", "2024-05-06T08:00:00Z"]  # appended, not replaced
    assert (merged.body["status"], merged.body["end_date_time"]) == ("COMPLETED", "2024-05-06T08:30:00Z")
    assert merged.next_attempt_at <= timezone.now()  # a status change sends it at once


def test_a_meter_update_racing_another_one_takes_the_locked_path(csms, emsp, site, monkeypatch):
    """The unlocked read is checked at write time: a reading written in between (by another request, here between
    this one's read and its statement) makes the statement write nothing, and the locked path applies the reading
    on the current row. Without the check the second writer would drop the first one's reading."""
    from roaming.sessions.services.csms import meter as csms_service

    csms("post", "sessions", start_body())
    meter(csms, 1, 1500)  # the first PATCH, due at once
    meter(csms, 2, 2000)  # waits for the interval
    waiting = OutboxMessage.objects.filter(method="PATCH").latest("id")
    append = csms_service._append_readings
    raced = []

    def append_then_race(session, readings):
        if not raced:  # once, on the unlocked row: another request appends its reading meanwhile
            raced.append(True)
            other = ChargingSession.objects.get(pk=session.pk)
            other.meter_readings.append(["2024-05-06T07:33:00Z", 2500, None, None])
            other.save(update_fields=["meter_readings"])
        return append(session, readings)

    monkeypatch.setattr(csms_service, "_append_readings", append_then_race)
    response = meter(csms, 4, 3000)
    assert raced and response.status_code == 200 and response["X-Outcome"] == "updated"
    session = ChargingSession.objects.get()
    assert [r[1] for r in session.meter_readings] == [1500, 2000, 2500, 3000]
    assert session.kwh == 2  # meter_start 1000 Wh
    assert OutboxMessage.objects.get(pk=waiting.pk).body["kwh"] == 2
    assert OutboxMessage.objects.filter(method="PATCH").count() == 2


def test_a_stale_or_duplicate_reading_writes_nothing(csms, emsp, site, django_assert_num_queries):
    csms("post", "sessions", start_body())
    meter(csms, 1, 1500)
    before = ChargingSession.objects.values_list("updated_at", flat=True).get()
    with django_assert_num_queries(2):  # staff token, the session: nothing newer, nothing written
        response = meter(csms, 1, 1500)
    assert response["X-Outcome"] == "ignored"
    assert ChargingSession.objects.values_list("updated_at", flat=True).get() == before


def test_the_first_update_of_an_interval_is_priced_once(csms, emsp, site, monkeypatch):
    """The merge is tried on the unlocked row; when no PATCH waits, the locked path finds the same row version and
    keeps the readings and price already computed instead of pricing again."""
    from roaming.sessions.services.csms import meter as meter_service

    csms("post", "sessions", start_body())
    priced = []
    reprice = meter_service._reprice
    monkeypatch.setattr(meter_service, "_reprice", lambda session: priced.append(session.pk) or reprice(session))
    assert meter(csms, 1, 1500)["X-Outcome"] == "updated"  # no PATCH waits: the locked path writes the first one
    assert len(priced) == 1
    session = ChargingSession.objects.get()
    assert session.kwh == Decimal("0.5") and [r[1] for r in session.meter_readings] == [1500]
    assert OutboxMessage.objects.filter(method="PATCH").get().body["kwh"] == 0.5
