"""Outbound routing headers (transport_and_format.asciidoc, message routing): FROM is our role the module belongs
to on our side, TO the partner's role that receives the call, not "the partner's first role"."""

import pytest

from roaming.ocpi import pull
from roaming.ocpi.pull import PullHandler, sync_pull
from roaming.ocpi.push import push_enqueue
from tests.partners.factories import PartnerRoleFactory, registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo_and_emsp(stub_server, settings):
    """One partner playing CPO as DE/CPA (listed first) and eMSP as DE/MSP."""
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(
        country_code="DE",
        party_id="CPA",
        role="CPO",
        endpoints=[
            ("locations", "RECEIVER", f"{stub_server.url}/emsp/locations"),
            ("locations", "SENDER", f"{stub_server.url}/cpo/locations"),
        ],
    )
    PartnerRoleFactory(partner=partner, country_code="DE", party_id="MSP", role="EMSP")
    return partner


def routing(request) -> tuple[str, str, str, str]:
    h = request.headers
    return (
        h["OCPI-from-country-code"],
        h["OCPI-from-party-id"],
        h["OCPI-to-country-code"],
        h["OCPI-to-party-id"],
    )


def test_a_push_is_addressed_to_the_partners_receiving_role(
    stub_server, cpo_and_emsp, django_capture_on_commit_callbacks
):
    stub_server.route("PUT", "/emsp/locations/NL/EXA/LOC1", (200, envelope()))
    with django_capture_on_commit_callbacks(execute=True):
        push_enqueue(module="locations", object_key="LOC1", method="PUT", path="NL/EXA/LOC1", body={"id": "LOC1"})
    assert routing(stub_server.calls("PUT", "/emsp/locations/NL/EXA/LOC1")[0]) == ("NL", "EXA", "DE", "MSP")


def test_a_pull_is_addressed_to_the_partners_sending_role(stub_server, cpo_and_emsp, monkeypatch):
    emsp_first, _ = registered_partner_with_token(
        country_code="FR",
        party_id="MSX",
        role="EMSP",
        endpoints=[("locations", "SENDER", f"{stub_server.url}/fr/cpo/locations")],
    )
    PartnerRoleFactory(partner=emsp_first, country_code="FR", party_id="CPX", role="CPO")
    monkeypatch.setitem(
        pull._handlers, "locations", PullHandler(module="locations", ingest=lambda **kw: {"accepted": 0})
    )
    stub_server.route("GET", "/fr/cpo/locations", (200, envelope([])))
    sync_pull(partner_id=emsp_first.pk, module="locations")
    assert routing(stub_server.calls("GET", "/fr/cpo/locations")[0]) == ("NL", "EXA", "FR", "CPX")
