"""The pull of an eMSP's token list into the CPO cache (``tokens_ingest_page`` through the pull engine)."""

import pytest

from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import sync_pull
from roaming.tokens.models import Token
from roaming.tokens.services.receive import tokens_ingest_page
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope
from tests.tokens.factories import TokenFactory, token_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def emsp():
    return registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")[0]


def test_page_reports_accepted_ignored_rejected_and_never_rolls_back(emsp, django_assert_max_num_queries):
    Token.objects.create(
        country_code="DE", party_id="MSP", uid="OLD", contract_id="C", issuer="I", source_partner=emsp,
        last_updated="2025-01-01T00:00:00Z", valid=False,
    )  # fmt: skip
    TokenFactory(country_code="DE", party_id="MSP", uid="SAME", source_partner=emsp, last_updated="2024-01-01T00:00Z")
    page = [token_payload(uid=f"N{n}") for n in range(20)] + [
        token_payload(uid="OLD", valid=True),  # older than what we hold: ignored
        token_payload(uid="SAME", contract_id="NL-EXA-C12345678-N", issuer="Example Mobility"),  # identical
        token_payload(uid="BAD", whitelist="SOMETIMES"),
        token_payload(uid="FR1", country_code="FR"),
        "not a token",
    ]
    with django_assert_max_num_queries(8):  # constant: not one query per token
        report = tokens_ingest_page(partner_id=emsp.pk, objects=page)

    assert (report["accepted"], report["ignored"]) == (20, 2)
    assert [r.split(":")[0] for r in report["rejected"]] == ["token BAD", "token FR1", "token #24"]
    assert Token.objects.get(uid="OLD").valid is False
    assert Token.objects.filter(source_partner=emsp).count() == 22

    newer = tokens_ingest_page(
        partner_id=emsp.pk, objects=[token_payload(uid="N1", valid=False, last_updated="2024-06-01T00:00:00Z")]
    )
    assert newer["accepted"] == 1
    assert Token.objects.get(uid="N1").valid is False


def test_pull_engine_uses_the_tokens_handler(stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(
        country_code="DE",
        party_id="MSP",
        role="EMSP",
        endpoints=[("tokens", "SENDER", f"{stub_server.url}/ocpi/2.2.1/emsp/tokens")],
    )
    stub_server.route(
        "GET",
        "/ocpi/2.2.1/emsp/tokens",
        (200, envelope([token_payload(uid="P1"), token_payload(uid="P2")]), {"X-Total-Count": "2"}),
    )
    run = sync_pull(partner_id=partner.pk, module="tokens")
    assert (run.status, run.accepted, run.rejected) == (SyncRun.Status.SUCCEEDED, 2, 0)
    assert sorted(Token.objects.filter(source_partner=partner).values_list("uid", flat=True)) == ["P1", "P2"]
