"""``fetch_instance`` (roaming/core/sql.py): the instance a fixed statement reads is the one the ORM would give."""

from decimal import Decimal

import pytest

from roaming.core.sql import fetch_instance
from roaming.sessions.models import ChargingSession
from tests.sessions.factories import cached_token, charger, start_body

pytestmark = pytest.mark.django_db

SQL = 'SELECT s.*, 42 AS answer FROM "charging_sessions_chargingsession" s WHERE s.csms_transaction_id = %s'


def test_every_field_as_the_orm_reads_it_and_other_columns_as_attributes(csms):
    charger()
    cached_token()
    assert csms("post", "sessions", start_body()).status_code == 201
    reading = {"timestamp": "2024-05-06T07:45:00Z", "energy_wh": 1500, "power_w": 11000, "current_a": 16}
    assert csms("post", "sessions/TX1/meter_values", reading).status_code == 200
    orm = ChargingSession.objects.get(csms_transaction_id="TX1")

    raw = fetch_instance(ChargingSession, SQL, ["TX1"])

    for field in ChargingSession._meta.concrete_fields:
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    assert isinstance(raw.kwh, Decimal) and isinstance(raw.cdr_token, dict) and raw.meter_readings
    assert raw.answer == 42
    assert not raw._state.adding
    raw.save(update_fields=["kwh"])  # a regular instance: it saves


def test_a_subset_of_columns_defers_the_rest_and_no_row_is_none(csms):
    charger()
    cached_token()
    csms("post", "sessions", start_body())
    sql = 'SELECT id, kwh FROM "charging_sessions_chargingsession" WHERE csms_transaction_id = %s'
    partial = fetch_instance(ChargingSession, sql, ["TX1"])
    assert partial.get_deferred_fields() >= {"cdr_token", "status"}
    assert partial.status == ChargingSession.objects.get().status  # loaded on first use
    assert fetch_instance(ChargingSession, sql, ["NONE"]) is None
