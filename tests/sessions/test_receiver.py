"""The eMSP Receiver interface of sessions (mod_sessions.asciidoc, Receiver Interface): GET, PUT, PATCH on
``/ocpi/2.2.1/emsp/sessions/{country_code}/{party_id}/{session_id}``, on the partner-object kit."""

import json
from decimal import Decimal

import pytest

from roaming.ocpi.renderers import dumps
from roaming.sessions.models import ChargingSession
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.sessions.factories import SESSION_EXAMPLES, load_example
from tests.tokens.factories import TokenFactory

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/emsp/sessions"


@pytest.fixture
def cpo():
    """CPO partner BE/BEC (the examples' second session is under BE/BEC; the first under NL/STK)."""
    partner, token = registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")
    return partner, token


def call(client, method, token, path, body=None):
    kwargs = auth(token)
    if body is not None:
        kwargs.update(data=dumps(body), content_type="application/json")
    return getattr(client, method)(f"{BASE}/{path}", **kwargs)


def session_body(**extra) -> dict:
    body = load_example("session_example_2_short_finished.json")
    body.update(extra)
    return body


def test_spec_examples_are_accepted_and_round_tripped(client, cpo):
    partner, token = cpo
    from tests.partners.factories import PartnerRoleFactory

    PartnerRoleFactory(partner=partner, country_code="NL", party_id="STK", role="CPO")
    for name in SESSION_EXAMPLES:
        sent = json.loads(open_example(name))
        path = f"{sent['country_code']}/{sent['party_id']}/{sent['id']}"
        response = call(client, "put", token, path, load_example(name))
        assert response.status_code == 201, (name, response.json())
        got = call(client, "get", token, path).json()["data"]
        assert got == sent, name


def open_example(name: str) -> str:
    from tests.data import OCPI_EXAMPLES

    return (OCPI_EXAMPLES / name).read_text()


def test_put_replaces_charging_periods_and_patch_appends_them(client, cpo):
    partner, token = cpo
    assert call(client, "put", token, "BE/BEC/101", session_body()).status_code == 201
    patch = load_example("session_patch_example_charging_period.json")
    patch["last_updated"] = "2015-06-30T00:00:00Z"
    assert call(client, "patch", token, "BE/BEC/101", patch).status_code == 200
    session = ChargingSession.objects.get()
    put_periods = [p["start_date_time"] for p in session_body()["charging_periods"]]
    assert len(put_periods) == 3
    assert [p["start_date_time"] for p in session.charging_periods] == [*put_periods, "2019-06-23T08:16:02Z"]
    assert (session.kwh, session.total_cost_excl_vat, session.total_cost_incl_vat) == (
        15,
        Decimal("0.8"),
        Decimal("0.88"),
    )
    assert session.status == "COMPLETED"  # untouched by the PATCH

    replaced = session_body(charging_periods=[], last_updated="2015-06-30T01:00:00Z")
    assert call(client, "put", token, "BE/BEC/101", replaced).status_code == 200
    assert ChargingSession.objects.get().charging_periods == []


def test_a_patch_delivered_twice_appends_its_period_once(client, cpo):
    _, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body(charging_periods=[]))
    patch = {
        "kwh": 1,
        "charging_periods": [
            {"start_date_time": "2015-06-29T23:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
        ],
        "last_updated": "2015-06-30T00:00:00Z",
    }
    for _ in range(2):
        assert call(client, "patch", token, "BE/BEC/101", patch).status_code == 200
    patch["charging_periods"][0]["dimensions"][0]["volume"] = 2  # the CPO re-sends its running period, updated
    patch["last_updated"] = "2015-06-30T00:01:00Z"
    call(client, "patch", token, "BE/BEC/101", patch)
    periods = ChargingSession.objects.get().charging_periods
    assert periods == [{"start_date_time": "2015-06-29T23:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 2}]}]


def test_stale_put_and_patch_are_acknowledged_and_ignored(client, cpo):
    partner, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body(last_updated="2015-06-30T00:00:00Z"))
    stale_put = call(client, "put", token, "BE/BEC/101", session_body(status="ACTIVE"))
    stale_patch = call(
        client, "patch", token, "BE/BEC/101", {"status": "ACTIVE", "last_updated": "2015-06-29T23:00:00Z"}
    )
    for response in (stale_put, stale_patch):
        assert (response.status_code, response.json()["status_code"]) == (200, 1000)
        assert "ignored" in response.json()["status_message"]
    assert ChargingSession.objects.get().status == "COMPLETED"


def test_unknown_token_is_kept_and_flagged_known_token_is_not(client, cpo):
    partner, token = cpo
    TokenFactory(country_code="NL", party_id="EXA", uid="OURS", type="RFID")  # our eMSP is NL/EXA here
    ours = session_body(id="102")
    ours["cdr_token"] = {**ours["cdr_token"], "party_id": "exa", "uid": "ours"}  # CiStrings: any case
    assert call(client, "put", token, "BE/BEC/102", ours).status_code == 201
    assert call(client, "put", token, "BE/BEC/101", session_body()).status_code == 201
    flags = dict(ChargingSession.objects.values_list("session_id", "token_known"))
    assert flags == {"101": False, "102": True}


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("put", session_body(kwh="lots"), "kwh"),
        ("put", session_body(status="FINISHED"), "status"),
        ("put", {**session_body(), "cdr_token": {"uid": "x"}}, "cdr_token.country_code"),
        ("put", session_body(id="999"), "id"),
        ("patch", {"kwh": 2}, "last_updated"),
        (
            "patch",
            {"charging_periods": [{"start_date_time": "x"}], "last_updated": "2016-01-01T00:00:00Z"},
            "charging_periods[0]",
        ),
    ],
)
def test_bad_bodies_are_2001_naming_the_field_and_change_nothing(client, cpo, method, body, field):
    partner, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body())
    before = ChargingSession.objects.values().get()
    response = call(client, method, token, "BE/BEC/101", body)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert field in response.json()["status_message"]
    assert ChargingSession.objects.values().get() == before


def test_patch_of_an_unknown_session_is_404(client, cpo):
    _, token = cpo
    response = call(client, "patch", token, "BE/BEC/NOPE", {"kwh": 1, "last_updated": "2020-01-01T00:00:00Z"})
    assert response.status_code == 404


def test_another_party_or_an_emsp_role_is_refused(client, cpo):
    _, token = cpo
    other = call(client, "put", token, "DE/XXX/101", session_body(country_code="DE", party_id="XXX"))
    assert other.status_code == 404
    _, emsp_token = registered_partner_with_token(country_code="BE", party_id="BEC", role="EMSP", their_token="t2")
    as_emsp = call(client, "put", emsp_token, "BE/BEC/101", session_body())
    assert as_emsp.status_code == 404
    assert not ChargingSession.objects.exists()


def test_receiver_calls_have_constant_query_counts(client, cpo, django_assert_max_num_queries):
    _, token = cpo
    call(client, "put", token, "BE/BEC/101", session_body())
    for minute in range(3):
        patch = {
            "kwh": 10 + minute,
            "charging_periods": [
                {"start_date_time": f"2015-06-30T00:0{minute}:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
            ],
            "last_updated": f"2015-06-30T00:0{minute}:00Z",
        }
        # credentials (with the partner's parties), the row read with its version, one UPDATE of what the PATCH
        # changed at that version; the traffic log entry (written at once in tests, in its own savepoint)
        with django_assert_max_num_queries(6) as patched:
            assert call(client, "patch", token, "BE/BEC/101", patch).status_code == 200
        update = next(q["sql"] for q in patched.captured_queries if q["sql"].startswith("UPDATE"))
        assert '"kwh"' in update and '"charging_periods"' in update and '"cdr_token"' not in update
        # a held session: credentials, the token lookup (a session for a token we do not know is flagged), the
        # INSERT that finds it held, the transaction (a savepoint here), the row lock, the UPDATE, its release; the log
        with django_assert_max_num_queries(10):
            assert (
                call(
                    client, "put", token, "BE/BEC/101", session_body(last_updated=f"2015-06-30T00:0{minute}:30Z")
                ).status_code
                == 200
            )
