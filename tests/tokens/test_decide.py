"""The CPO side's authorization decision (roaming.tokens.services.decide and ``POST /api/v1/authorize``): the
whitelist rules, real-time authorization at the eMSP over HTTP (a stub partner on loopback), the timeout fallback,
our own eMSP's tokens decided locally, and the record of every decision."""

import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from roaming.core.exceptions import ObjectNotFound
from roaming.ocpi.models import TrafficLog
from roaming.tokens.models import AuthorizationDecision, IssuedAuthorization, Token
from roaming.tokens.services.decide import authorization_decide
from tests.locations.factories import EVSEFactory
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope
from tests.tokens.factories import TokenFactory, token_payload

pytestmark = pytest.mark.django_db

AUTHORIZE = "/ocpi/2.2.1/emsp/tokens/{uid}/authorize"


@pytest.fixture
def charger():
    return EVSEFactory(uid="EVSE-1", internal_id="CP-1")


@pytest.fixture
def emsp(stub_server, settings):
    settings.TOKENS_REALTIME_TIMEOUT = 0.5
    partner, _ = registered_partner_with_token(
        country_code="DE",
        party_id="MSP",
        role="EMSP",
        endpoints=[("tokens", "SENDER", f"{stub_server.url}/ocpi/2.2.1/emsp/tokens")],
    )
    return partner


def cached(partner, uid, whitelist, valid=True, **extra):
    extra.setdefault("last_updated", timezone.now().replace(microsecond=0))
    return Token.objects.create(
        country_code="DE", party_id="MSP", uid=uid, contract_id="DE8ACC12E46L89", issuer="MSP", valid=valid,
        whitelist=whitelist, source_partner=partner, **extra,
    )  # fmt: skip


def info(uid, allowed="ALLOWED", **extra):
    return envelope({"allowed": allowed, "token": token_payload(uid=uid), "authorization_reference": "REF-1", **extra})


def test_always_and_valid_allowed_are_decided_from_the_cache(charger, emsp, stub_server):
    cached(emsp, "ALW", "ALWAYS")
    cached(emsp, "ALWB", "ALWAYS", valid=False)
    cached(emsp, "ALD", "ALLOWED")

    assert authorization_decide(uid="alw", charger_id="CP-1").allowed is True  # uid is a CiString
    blocked = authorization_decide(uid="ALWB", charger_id="CP-1")
    assert (blocked.allowed, blocked.result, blocked.reason) == (False, "BLOCKED", "cache: blocked (whitelist ALWAYS)")
    allowed = authorization_decide(uid="ALD", evse_uid="evse-1")
    assert (allowed.allowed, allowed.source, allowed.emsp_party_id, allowed.partner) == (True, "CACHE", "MSP", emsp)
    assert stub_server.requests == []


def test_invalid_allowed_asks_the_emsp_in_real_time(charger, emsp, stub_server):
    cached(emsp, "ALD", "ALLOWED", valid=False, last_updated=datetime(2023, 1, 1, tzinfo=UTC))
    stub_server.route("POST", AUTHORIZE.format(uid="ALD"), (200, info("ALD")))  # its Token: 2024-01-01

    decision = authorization_decide(uid="ALD", charger_id="CP-1")

    assert (decision.allowed, decision.source, decision.authorization_reference) == (True, "REALTIME", "REF-1")
    call = stub_server.requests[0]
    assert call.query == "type=RFID"
    assert call.json() == {"location_id": charger.location.location_id, "evse_uids": ["EVSE-1"]}
    assert Token.objects.get(uid="ALD").valid is True  # the answer's Token refreshed the cache


def test_never_follows_the_emsp_answer_and_evse_restrictions(charger, emsp, stub_server):
    cached(emsp, "NEV", "NEVER")
    path = AUTHORIZE.format(uid="NEV")
    stub_server.route(
        "POST",
        path,
        (200, info("NEV", allowed="NO_CREDIT")),
        (200, info("NEV", location={"location_id": "X", "evse_uids": ["OTHER"]})),
    )
    no_credit = authorization_decide(uid="NEV", charger_id="CP-1")
    assert (no_credit.allowed, no_credit.result, no_credit.reason) == (
        False,
        "NO_CREDIT",
        "eMSP DE/MSP answered NO_CREDIT",
    )
    elsewhere = authorization_decide(uid="NEV", charger_id="CP-1")
    assert (elsewhere.allowed, elsewhere.reason) == (False, "eMSP DE/MSP allows this token only at other EVSEs")


def test_unknown_at_the_emsp_is_refused(charger, emsp, stub_server):
    cached(emsp, "NEV", "NEVER")
    stub_server.route("POST", AUTHORIZE.format(uid="NEV"), (404, envelope(status_code=2004, message="Unknown Token")))
    decision = authorization_decide(uid="NEV", charger_id="CP-1")
    assert (decision.allowed, decision.fell_back, decision.reason) == (
        False,
        False,
        "eMSP DE/MSP does not know this token",
    )


def test_allowed_offline_falls_back_to_the_cache_after_the_timeout(charger, emsp, stub_server):
    cached(emsp, "OFF", "ALLOWED_OFFLINE")

    def slow(request):
        time.sleep(1.5)
        return 200, info("OFF", allowed="BLOCKED")

    stub_server.route("POST", AUTHORIZE.format(uid="OFF"), slow)
    started = time.monotonic()
    decision = authorization_decide(uid="OFF", charger_id="CP-1")

    assert time.monotonic() - started < 1.4  # the 0.5 s timeout, not the eMSP's 1.5 s
    assert (decision.allowed, decision.source, decision.fell_back) == (True, "FALLBACK_CACHE", True)
    assert "unreachable" in decision.reason
    assert decision.latency_ms >= 400


def test_never_is_refused_when_the_emsp_is_down(charger, emsp, stub_server):
    cached(emsp, "NEV", "NEVER")
    cached(emsp, "OFF", "ALLOWED_OFFLINE", valid=False)
    stub_server.stop()

    never = authorization_decide(uid="NEV", charger_id="CP-1")
    assert (never.allowed, never.source, never.fell_back) == (False, "FALLBACK_REFUSED", True)
    assert never.reason.startswith("whitelist NEVER: eMSP DE/MSP unreachable")
    offline_blocked = authorization_decide(uid="OFF", charger_id="CP-1")
    assert (offline_blocked.allowed, offline_blocked.source) == (False, "FALLBACK_CACHE")
    stub_server.start()  # the fixture stops it again


def test_own_emsp_tokens_are_decided_locally_without_http(charger, settings):
    settings.OCPI_ROLES = ["CPO", "EMSP"]
    TokenFactory(uid="MINE", whitelist="NEVER")
    TokenFactory(uid="MINEB", valid=False)

    decision = authorization_decide(uid="MINE", charger_id="CP-1")
    blocked = authorization_decide(uid="MINEB", charger_id="CP-1")

    assert (decision.allowed, decision.source, decision.emsp_party_id) == (True, "OWN", "EXA")
    issued = IssuedAuthorization.objects.get(authorization_reference=decision.authorization_reference)
    assert (issued.location_id, issued.evse_uids, issued.partner) == (charger.location.location_id, ["EVSE-1"], None)
    assert (blocked.allowed, blocked.result) == (False, "BLOCKED")
    assert not TrafficLog.objects.exists()


def test_unknown_tokens_and_emsps_we_do_not_roam_with_are_refused(charger, emsp, settings):
    unknown = authorization_decide(uid="NOBODY", charger_id="CP-1")
    assert (unknown.allowed, unknown.reason) == (False, "unknown token: no eMSP we roam with has sent it")
    stranger = authorization_decide(uid="X", charger_id="CP-1", country_code="FR", party_id="ZZZ")
    assert (stranger.allowed, stranger.reason) == (False, "we do not roam with eMSP FR/ZZZ")
    cached(emsp, "SUS", "ALWAYS")
    emsp.status = "suspended"
    emsp.save()
    suspended = authorization_decide(uid="SUS", charger_id="CP-1")
    assert (suspended.allowed, suspended.reason) == (False, "we do not (or no longer) roam with eMSP DE/MSP")
    assert AuthorizationDecision.objects.count() == 3


def test_a_named_emsp_is_asked_in_real_time_for_a_token_not_in_the_cache(charger, emsp, stub_server):
    stub_server.route("POST", AUTHORIZE.format(uid="NEW"), (200, info("NEW")))
    decision = authorization_decide(uid="NEW", charger_id="CP-1", country_code="de", party_id="msp")
    assert (decision.allowed, decision.source, decision.partner) == (True, "REALTIME", emsp)
    assert Token.objects.filter(uid="NEW", source_partner=emsp).exists()  # cached from the answer


def test_unknown_charger_is_not_found(charger):
    with pytest.raises(ObjectNotFound):
        authorization_decide(uid="X", charger_id="NOPE")
    assert not AuthorizationDecision.objects.exists()


def test_a_patch_that_blocks_takes_effect_for_the_next_decision(charger, emsp, client):
    from roaming.ocpi.renderers import dumps
    from tests.conftest import auth
    from tests.partners.factories import issue_token

    cached(emsp, "ALW", "ALWAYS", last_updated=datetime(2024, 1, 1, tzinfo=UTC))
    assert authorization_decide(uid="ALW", charger_id="CP-1").allowed is True
    response = client.patch(
        "/ocpi/2.2.1/cpo/tokens/DE/MSP/ALW",
        data=dumps({"valid": False, "last_updated": "2024-01-02T00:00:00Z"}),
        content_type="application/json",
        **auth(issue_token(emsp)),
    )
    assert response.json()["status_code"] == 1000
    after = authorization_decide(uid="ALW", charger_id="CP-1")
    assert (after.allowed, after.reason) == (False, "cache: blocked (whitelist ALWAYS)")
