"""How the Receiver writes a partner's sessions on PostgreSQL (roaming/sessions/services/receive.py): a new session
PUT is one INSERT and a PATCH one read and one version-checked UPDATE, with no transaction, and a session written
meanwhile by someone else is applied on the locked path, losing nothing. Transactional tests: each statement is its
own transaction here, as on a server."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.ocpi.caller import serving_caller
from roaming.sessions.models import ChargingSession
from roaming.sessions.services import receive
from tests.partners.factories import registered_partner_with_token
from tests.sessions.test_receiver import call, session_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cpo():
    return registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")


def period(minute: int) -> dict:
    return {"start_date_time": f"2015-06-30T00:{minute:02d}:00Z", "dimensions": [{"type": "ENERGY", "volume": minute}]}


def module_queries(captured) -> list[str]:
    """The request's statements but the traffic log's entry (written at once in tests, in its own transaction)."""
    sqls = [q["sql"] for q in captured.captured_queries]
    log = [i for i, sql in enumerate(sqls) if "ocpi_trafficlog" in sql]
    assert log, "the call was not logged"
    return sqls[: log[0] - 1] if sqls[log[0] - 1] == "BEGIN" else sqls[: log[0]]


def test_a_new_session_is_one_insert_after_the_credentials(client, cpo):
    _, token = cpo
    call(client, "put", token, "BE/BEC/100", session_body(id="100"))  # the token's first use is recorded
    with CaptureQueriesContext(connection) as captured:
        assert call(client, "put", token, "BE/BEC/101", session_body()).status_code == 201
    sqls = module_queries(captured)
    assert len(sqls) == 2, sqls
    assert "partners_partnertoken" in sqls[0]  # the credentials, with the partner's roles: no second read of them
    assert sqls[1].startswith('INSERT INTO "charging_sessions_chargingsession"') and "ON CONFLICT DO NOTHING" in sqls[1]
    assert ChargingSession.objects.get(session_id="101").kwh == Decimal("41.12")


def test_a_put_of_a_held_session_replaces_it_on_the_locked_path(client, cpo):
    _, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body())
    with CaptureQueriesContext(connection) as captured:
        answer = call(client, "put", token, "BE/BEC/101", session_body(kwh=50, last_updated="2015-06-30T00:00:00Z"))
    assert answer.status_code == 200
    assert any("FOR UPDATE" in sql for sql in module_queries(captured))
    stale = call(client, "put", token, "BE/BEC/101", session_body(kwh=1, last_updated="2015-06-29T00:00:00Z"))
    assert stale.status_code == 200 and "ignored" in stale.json()["status_message"]
    assert ChargingSession.objects.values_list("kwh", flat=True).get() == 50


def test_a_patch_is_one_read_and_one_update_at_the_version_read(client, cpo):
    _, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body(charging_periods=[]))
    patch = {"kwh": 12, "charging_periods": [period(1)], "last_updated": "2015-06-30T00:01:00Z"}
    with CaptureQueriesContext(connection) as captured:
        assert call(client, "patch", token, "BE/BEC/101", patch).status_code == 200
    sqls = module_queries(captured)
    assert len(sqls) == 3, sqls
    assert "xmin::text AS row_version" in sqls[1] and "FOR UPDATE" not in sqls[1]
    assert '"charging_periods"' in sqls[1] and '"raw"' not in sqls[1]  # what it needs, not the wide row
    assert sqls[2].startswith('UPDATE "charging_sessions_chargingsession"') and "xmin" in sqls[2]
    session = ChargingSession.objects.get()
    assert (session.kwh, session.charging_periods) == (12, [period(1)])


def test_a_patch_racing_another_write_is_applied_after_it(client, cpo, monkeypatch):
    """A PATCH whose session is written by another request between its read and its write must not overwrite that
    write: both PATCHes' periods are kept."""
    _, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body(charging_periods=[]))
    real_read = receive.read_versioned

    def read_then_someone_writes(*args, **kwargs):
        row = real_read(*args, **kwargs)
        ChargingSession.objects.filter(pk=row.pk).update(charging_periods=[period(1)], kwh=11)
        return row

    monkeypatch.setattr(receive, "read_versioned", read_then_someone_writes)
    patch = {"kwh": 12, "charging_periods": [period(2)], "last_updated": "2015-06-30T00:02:00Z"}
    assert call(client, "patch", token, "BE/BEC/101", patch).status_code == 200
    session = ChargingSession.objects.get()
    assert (session.kwh, session.charging_periods) == (12, [period(1), period(2)])


def test_the_caller_is_forgotten_when_its_request_ends(client, cpo):
    _, token = cpo
    assert call(client, "put", token, "BE/BEC/101", session_body()).status_code == 201
    assert serving_caller() is None
    refused = call(client, "put", "not-a-token", "BE/BEC/102", session_body(id="102"))
    assert refused.status_code == 401 and serving_caller() is None
