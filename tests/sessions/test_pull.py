"""Pulls of a CPO's session list (mod_sessions.asciidoc, Sender GET; the pull engine): date_from always sent,
each session stored on the kit's rules, a bad one reported without sinking the page."""

import json

import pytest

from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import sync_pull
from roaming.sessions.models import ChargingSession
from roaming.sessions.services.receive import sessions_ingest_page
from tests.data import OCPI_EXAMPLES
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

SENDER = "/ocpi/2.2.1/cpo/sessions"


def example(**extra) -> dict:
    return {**json.loads((OCPI_EXAMPLES / "session_example_2_short_finished.json").read_text()), **extra}


def test_pull_stores_the_page_and_asks_with_date_from(stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(
        country_code="BE", party_id="BEC", role="CPO", endpoints=[("sessions", "SENDER", f"{stub_server.url}{SENDER}")]
    )
    bad = example(id="BAD", kwh="lots")
    stub_server.route("GET", SENDER, (200, envelope([example(), example(id="102"), bad]), {"X-Total-Count": "3"}))

    run = sync_pull(partner_id=partner.pk, module="sessions")

    assert (run.status, run.accepted, run.rejected) == (SyncRun.Status.SUCCEEDED, 2, 1)
    assert "kwh" in run.errors[0]
    assert "date_from=" in stub_server.requests[0].query
    assert sorted(ChargingSession.objects.values_list("session_id", flat=True)) == ["101", "102"]


def test_ingest_ignores_stale_copies_and_other_parties(db):
    partner, _ = registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")
    newer = example(last_updated="2016-01-01T00:00:00Z", status="COMPLETED")
    assert sessions_ingest_page(partner_id=partner.pk, objects=[newer])["accepted"] == 1
    report = sessions_ingest_page(
        partner_id=partner.pk, objects=[example(status="ACTIVE"), example(country_code="DE", party_id="XXX")]
    )
    assert (report["accepted"], report["ignored"], len(report["rejected"])) == (0, 1, 1)
    assert ChargingSession.objects.get().status == "COMPLETED"
