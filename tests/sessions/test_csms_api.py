"""The sessions CSMS API (/api/v1/sessions...): start, meter values, status, stop; idempotent on the CSMS
transaction id; bad input answered 400 naming the field with nothing changed; constant query counts."""

import pytest

from roaming.ocpi.models import OutboxMessage
from roaming.sessions.models import ChargingSession
from tests.sessions.factories import cached_token, charger, start_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db):
    cached_token()
    return charger()


def test_start_creates_the_session_from_the_token_cache(csms, site):
    response = csms("post", "sessions", start_body(authorization_reference="REF-1"))
    assert response.status_code == 201, response.json()
    session = ChargingSession.objects.get()
    assert session.cdr_token == {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "CARD1",
        "type": "RFID",
        "contract_id": "DE-MSP-C00000001",
    }
    assert (session.auth_method, session.authorization_reference) == ("AUTH_REQUEST", "REF-1")
    assert (session.location_id, session.evse_uid, session.connector_id) == ("LOC-CP-1", "EVSE-CP-1", "1")
    assert session.own_connector == site
    assert (session.status, session.currency, session.country_code, session.party_id) == ("ACTIVE", "EUR", "NL", "EXA")
    assert session.tariff["id"] == "T-CP-1"
    assert response.json()["id"] == session.session_id


def test_start_is_idempotent_on_the_transaction_id(csms, site):
    first = csms("post", "sessions", start_body())
    again = csms("post", "sessions", start_body())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["X-Outcome"] == "ignored"
    assert ChargingSession.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"charger_id": "NOPE"}, "charger_id"),
        ({"connector_id": "9"}, "connector_id"),
        ({"token": "UNKNOWN"}, "token_uid"),
        ({"meter_start": -1}, "meter_start"),
        ({"at": "2099-01-01T00:00:00Z"}, "start_date_time"),
    ],
)
def test_bad_start_is_400_naming_the_field(csms, site, change, field):
    response = csms("post", "sessions", start_body(**change))
    assert response.status_code == 400
    assert field in response.json()
    assert not ChargingSession.objects.exists()


def test_meter_values_price_the_session_live(csms, site):
    csms("post", "sessions", start_body())
    response = csms(
        "post",
        "sessions/TX1/meter_values",
        {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000, "power_w": 11000, "current_a": 16},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kwh"] == "11.000000"
    assert (body["total_cost_excl_vat"], body["total_cost_incl_vat"]) == ("2.750000", "3.030000")
    assert body["charging_periods"][0]["dimensions"][0] == {"type": "ENERGY", "volume": 11}


def test_duplicate_and_out_of_order_readings_are_ignored(csms, site):
    csms("post", "sessions", start_body())
    csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000})
    duplicate = csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000})
    late = csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:00:00Z", "energy_wh": 6000})
    assert (duplicate.status_code, late.status_code) == (200, 200)
    assert duplicate["X-Outcome"] == late["X-Outcome"] == "ignored"
    session = ChargingSession.objects.get()
    assert session.meter_readings == [["2024-05-06T08:30:00Z", 12000, None, None]]


@pytest.mark.parametrize(
    ("reading", "field"),
    [
        ({"timestamp": "2024-05-06T09:00:00Z", "energy_wh": 500}, "energy_wh"),  # below the earlier 12000 Wh
        ({"timestamp": "2024-05-06T09:00:00Z", "energy_wh": "lots"}, "energy_wh"),
        ({"energy_wh": 13000}, "timestamp"),
        ({"timestamp": "2099-01-01T00:00:00Z", "energy_wh": 13000}, "timestamp"),
        ({"timestamp": "2024-05-06T09:00:00Z", "energy_wh": 13000, "power_w": "x"}, "power_w"),
    ],
)
def test_a_bad_reading_is_400_naming_the_field_and_changes_nothing(csms, site, reading, field):
    csms("post", "sessions", start_body())
    csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000})
    before = ChargingSession.objects.values().get()
    pushes = OutboxMessage.objects.count()
    response = csms("post", "sessions/TX1/meter_values", reading)
    assert response.status_code == 400
    assert field in str(response.json())
    assert ChargingSession.objects.values().get() == before
    assert OutboxMessage.objects.count() == pushes


def test_a_batch_with_one_bad_reading_keeps_none_of_it(csms, site):
    csms("post", "sessions", start_body())
    response = csms(
        "post",
        "sessions/TX1/meter_values",
        {
            "readings": [
                {"timestamp": "2024-05-06T08:00:00Z", "energy_wh": 5000},
                {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 4000},
            ]
        },
    )
    assert response.status_code == 400
    assert "energy_wh" in response.json()
    assert ChargingSession.objects.get().meter_readings == []


def test_status_changes_and_older_ones_are_ignored(csms, site):
    csms("post", "sessions", start_body(status="PENDING"))
    active = csms("post", "sessions/TX1/status", {"status": "ACTIVE", "timestamp": "2024-05-06T07:31:00Z"})
    older = csms("post", "sessions/TX1/status", {"status": "PENDING", "timestamp": "2024-05-06T07:30:30Z"})
    bad = csms("post", "sessions/TX1/status", {"status": "RESERVED"})
    assert (active["X-Outcome"], older["X-Outcome"], bad.status_code) == ("updated", "ignored", 400)
    assert "status" in bad.json()
    session = ChargingSession.objects.get()
    assert session.status == "ACTIVE"
    assert session.start_date_time.isoformat() == "2024-05-06T07:31:00+00:00"  # when it became ACTIVE


def test_stop_completes_and_is_idempotent(csms, site):
    csms("post", "sessions", start_body())
    csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000})
    stop = {"end_date_time": "2024-05-06T09:00:00Z", "meter_stop": 13000}
    first = csms("post", "sessions/TX1/stop", stop)
    again = csms("post", "sessions/TX1/stop", stop)
    late_reading = csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T09:10:00Z", "energy_wh": 14000})
    assert (first["X-Outcome"], again["X-Outcome"], late_reading["X-Outcome"]) == ("updated", "ignored", "ignored")
    session = ChargingSession.objects.get()
    assert (session.status, session.kwh, session.total_cost_excl_vat) == ("COMPLETED", 12, 3)
    assert session.end_date_time.isoformat() == "2024-05-06T09:00:00+00:00"


def test_unknown_transaction_is_404(csms, site):
    assert (
        csms("post", "sessions/NOPE/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 1}).status_code
        == 404
    )
    assert csms("get", "sessions/NOPE").status_code == 404


def test_api_needs_a_staff_token(client, site):
    assert client.post("/api/v1/sessions", start_body(), content_type="application/json").status_code == 401


def test_meter_update_query_count_is_constant(csms, site, django_assert_num_queries):
    csms("post", "sessions", start_body())
    for minute in range(1, 4):
        with django_assert_num_queries(3):  # staff token, the session, its UPDATE (checked against the row read)
            csms(
                "post",
                "sessions/TX1/meter_values",
                {"timestamp": f"2024-05-06T08:{minute:02d}:00Z", "energy_wh": 1000 + minute * 200},
            )


def test_openapi_documents_the_sessions_api(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/sessions/{transaction_id}/meter_values" in schema
