"""The sessions CSMS API's batch of meter values (POST /api/v1/sessions/meter_values): readings of many
transactions in one call, each transaction handled on its own, one result per transaction; a malformed body is
refused whole."""

import pytest

from roaming.ocpi.models import OutboxMessage
from roaming.sessions.models import ChargingSession
from tests.sessions.factories import charger, start_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(csms, emsp):
    """Sessions TX0, TX1, TX2 on chargers CP-0..2, each priced by its €0.25/kWh tariff (meter_start 1000 Wh)."""
    for i in range(3):
        charger(internal_id=f"CP-{i}")
        assert csms("post", "sessions", start_body(f"TX{i}", charger_id=f"CP-{i}")).status_code == 201


def reading(tx, minute, wh):
    return {"transaction_id": tx, "timestamp": f"2024-05-06T07:{30 + minute:02d}:00Z", "energy_wh": wh}


def test_each_transaction_gets_its_result_and_a_refused_one_leaves_the_others(csms, three):
    csms("post", "sessions/TX2/meter_values", reading("TX2", 5, 3000))
    body = {
        "meter_values": [
            reading("TX0", 10, 5000),
            reading("TX1", 10, 2000),
            reading("TX2", 10, 2500),  # below TX2's 3000 Wh: TX2 is refused, the others are not
            reading("TX0", 20, 9000),  # a second reading of TX0, later in the batch
            reading("NOPE", 10, 100),
            reading("TX1", 5, 1500),  # older than TX1's other reading in this call: ignored, TX1 still updated
        ]
    }
    response = csms("post", "sessions/meter_values", body)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [(r["transaction_id"], r["outcome"]) for r in results] == [
        ("TX0", "updated"),
        ("TX1", "updated"),
        ("TX2", "rejected"),
        ("NOPE", "not_found"),
    ]
    assert results[0]["kwh"] == "8.000000" and results[0]["total_cost_excl_vat"] == "2.000000"
    assert results[2]["errors"] == {"energy_wh": ["2500 Wh is below the 3000 Wh an earlier reading gave"]}
    assert set(results[2]) == {"transaction_id", "outcome", "reason", "errors"}
    assert set(results[3]) == {"transaction_id", "outcome", "reason"}
    sessions = {s.csms_transaction_id: s for s in ChargingSession.objects.all()}
    assert [r[1] for r in sessions["TX0"].meter_readings] == [5000, 9000]
    assert [r[1] for r in sessions["TX1"].meter_readings] == [1500, 2000]  # both newer than the start, in order
    assert [r[1] for r in sessions["TX2"].meter_readings] == [3000]  # unchanged


def test_a_repeated_batch_is_ignored(csms, three):
    body = {"meter_values": [reading("TX0", 10, 5000), reading("TX1", 10, 2000)]}
    csms("post", "sessions/meter_values", body)
    again = csms("post", "sessions/meter_values", body).json()["results"]
    assert [r["outcome"] for r in again] == ["ignored", "ignored"]
    assert again[0]["reason"] == "no reading newer than the last one"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"meter_values": [reading("TX0", 10, 5000), {"transaction_id": "TX1", "energy_wh": 2000}]}, "timestamp"),
        ({"meter_values": [reading("TX0", 10, 5000), reading("TX1", 10, -1)]}, "energy_wh"),
        (
            {"meter_values": [reading("TX0", 10, 5000), {"timestamp": "2024-05-06T07:40:00Z", "energy_wh": 1}]},
            "transaction_id",
        ),
        ({"meter_values": []}, None),
        ({"readings": [reading("TX0", 10, 5000)]}, None),
    ],
)
def test_a_malformed_batch_is_400_naming_the_item_and_field_and_changes_nothing(csms, three, body, error):
    response = csms("post", "sessions/meter_values", body)
    assert response.status_code == 400
    errors = response.json()["meter_values"]
    if error is not None:
        assert list(errors) == ["1"] and error in errors["1"]  # the second item, by its field
    assert not any(s.meter_readings for s in ChargingSession.objects.all())


def test_a_batch_over_the_limit_is_refused(csms, three):
    body = {"meter_values": [reading("TX0", 10, 5000)] * 1001}
    response = csms("post", "sessions/meter_values", body)
    assert response.status_code == 400
    assert "meter_values" in response.json()
    assert not ChargingSession.objects.get(csms_transaction_id="TX0").meter_readings


def test_merged_updates_cost_one_statement_each(csms, three, django_assert_num_queries):
    for minute in (1, 2):  # the first PATCH goes at once, the second waits for the interval
        csms(
            "post",
            "sessions/meter_values",
            {"meter_values": [reading(f"TX{i}", minute, 1100 * minute) for i in range(3)]},
        )
    patches = OutboxMessage.objects.filter(method="PATCH").count()
    # staff token, the transaction (here a savepoint), the three sessions, one statement per session, its commit
    with django_assert_num_queries(7):
        response = csms(
            "post", "sessions/meter_values", {"meter_values": [reading(f"TX{i}", 3, 3300) for i in range(3)]}
        )
    assert [r["outcome"] for r in response.json()["results"]] == ["updated"] * 3
    assert OutboxMessage.objects.filter(method="PATCH").count() == patches  # merged into the waiting ones
    waiting = OutboxMessage.objects.filter(method="PATCH").latest("id")
    assert waiting.body["kwh"] == 2.3


def test_the_batch_needs_a_staff_key(client, db):
    response = client.post("/api/v1/sessions/meter_values", {"meter_values": []}, content_type="application/json")
    assert response.status_code == 401


def test_openapi_documents_the_batch(client, db):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/sessions/meter_values:" in schema
    assert "MeterValuesBatchResult" in schema
