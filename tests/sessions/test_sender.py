"""The CPO Sender interface of sessions: ``GET /ocpi/2.2.1/cpo/sessions`` (each eMSP sees only its drivers'
sessions, ``date_from`` required, paginated, constant queries) and ``PUT {session_id}/charging_preferences``."""

import pytest

from roaming.ocpi.renderers import dumps
from roaming.sessions.models import ChargingSession
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.sessions.factories import cached_token, charger, start_body

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/cpo/sessions"


@pytest.fixture
def two_emsps(csms, db):
    """Sessions of drivers of DE/MSP (3) and DE/OTH (1) at our charger; returns both eMSPs' tokens."""
    msp, msp_token = registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")
    oth, oth_token = registered_partner_with_token(country_code="DE", party_id="OTH", role="EMSP", their_token="t2")
    cached_token(uid="CARD1", partner=msp)
    cached_token(uid="CARD2", party_id="OTH", partner=oth)
    charger(capabilities=["CHARGING_PREFERENCES_CAPABLE"])
    charger(internal_id="CP-2")
    for n in range(3):
        assert csms("post", "sessions", start_body(f"TX{n}")).status_code == 201
    assert csms("post", "sessions", start_body("TX-OTH", token="CARD2", charger_id="CP-2")).status_code == 201
    return msp_token, oth_token


def get(client, token, query="date_from=2020-01-01T00:00:00Z"):
    return client.get(f"{BASE}?{query}", **auth(token))


def test_each_emsp_sees_only_its_own_drivers_sessions(client, two_emsps):
    msp_token, oth_token = two_emsps
    msp = get(client, msp_token)
    oth = get(client, oth_token)
    assert {s["cdr_token"]["party_id"] for s in msp.json()["data"]} == {"MSP"}
    assert len(msp.json()["data"]) == 3 and msp["X-Total-Count"] == "3"
    assert [s["cdr_token"]["uid"] for s in oth.json()["data"]] == ["CARD2"]


def test_a_cpo_caller_sees_nothing(client, two_emsps):
    _, cpo_token = registered_partner_with_token(country_code="DE", party_id="MSP", role="CPO", their_token="t3")
    assert get(client, cpo_token).json()["data"] == []


def test_date_from_is_required_and_pagination_works(client, two_emsps):
    msp_token, _ = two_emsps
    missing = client.get(BASE, **auth(msp_token))
    assert missing.json()["status_code"] == 2001
    assert "date_from" in missing.json()["status_message"]
    page = get(client, msp_token, "date_from=2020-01-01T00:00:00Z&limit=2")
    assert len(page.json()["data"]) == 2
    assert 'rel="next"' in page["Link"]
    future = get(client, msp_token, "date_from=2099-01-01T00:00:00Z")
    assert future.json()["data"] == []


def test_sender_list_query_count_is_constant(client, two_emsps, csms, django_assert_max_num_queries):
    msp_token, _ = two_emsps
    for n in range(10):
        csms("post", "sessions", start_body(f"TX-MORE{n}"))
    # auth (token, roles, last use), count, page, traffic log: the same for 13 sessions as for 1
    with django_assert_max_num_queries(8):
        assert len(get(client, msp_token).json()["data"]) == 13


def preferences(client, token, session_id, body):
    return client.put(
        f"{BASE}/{session_id}/charging_preferences", data=dumps(body), content_type="application/json", **auth(token)
    )


def test_charging_preferences_are_stored_and_answered(client, two_emsps):
    msp_token, oth_token = two_emsps
    session = ChargingSession.objects.get(csms_transaction_id="TX0")
    body = {"profile_type": "regular", "departure_time": "2024-05-06T12:00:00+00:00", "energy_need": 20}
    response = preferences(client, msp_token, session.session_id, body)
    assert (response.status_code, response.json()["data"]) == (200, "ACCEPTED")
    session.refresh_from_db()
    assert session.charging_preferences == {
        "profile_type": "REGULAR",
        "departure_time": "2024-05-06T12:00:00Z",
        "energy_need": 20,
    }
    fast = preferences(client, msp_token, session.session_id, {"profile_type": "FAST"})
    assert fast.json()["data"] == "PROFILE_TYPE_NOT_SUPPORTED"  # no PROFILE_FAST tariff at the connector
    # another eMSP cannot steer a driver that is not its own
    assert preferences(client, oth_token, session.session_id, body).status_code == 404


def test_charging_preferences_need_a_capable_evse_and_a_valid_body(client, two_emsps):
    _, oth_token = two_emsps
    session = ChargingSession.objects.get(csms_transaction_id="TX-OTH")  # at CP-2, not capable
    incapable = preferences(client, oth_token, session.session_id, {"profile_type": "REGULAR"})
    assert (incapable.status_code, incapable.json()["status_code"]) == (404, 2001)
    bad = preferences(client, oth_token, session.session_id, {"profile_type": "TURBO"})
    assert (bad.status_code, bad.json()["status_code"]) == (200, 2001)
    assert "profile_type" in bad.json()["status_message"]


def test_charging_preferences_go_through_the_configured_adapter(client, two_emsps, settings):
    from roaming.sessions.adapters import csms_adapter

    settings.SESSIONS_CSMS_ADAPTER = "tests.sessions.test_sender.RefusingAdapter"
    csms_adapter.cache_clear()
    try:
        msp_token, _ = two_emsps
        session = ChargingSession.objects.get(csms_transaction_id="TX1")
        response = preferences(client, msp_token, session.session_id, {"profile_type": "REGULAR"})
        assert response.json()["data"] == "DEPARTURE_REQUIRED"
        assert RefusingAdapter.calls == [("TX1", session.evse_uid, {"profile_type": "REGULAR"})]
    finally:
        csms_adapter.cache_clear()


class RefusingAdapter:
    calls: list = []

    def set_charging_preferences(self, *, transaction_id, evse_uid, preferences):
        RefusingAdapter.calls.append((transaction_id, evse_uid, preferences))
        return "DEPARTURE_REQUIRED"
