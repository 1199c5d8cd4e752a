"""Issue 10 against stub peers: a peer that registers with us looking for a credentials RECEIVER, a peer whose
credentials endpoint is published only as RECEIVER, and a peer whose every collection URL answers 307 to add a
trailing slash (registers, is pulled, is pushed to)."""

import base64
import json
from urllib.parse import parse_qs

import pytest
import requests
from django.core.management import call_command

from roaming.ocpi.models import OutboxMessage, SyncRun
from roaming.ocpi.renderers import dumps
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner
from roaming.partners.services import partner_create_outbound, partner_invite, partner_register_outbound
from roaming.tariffs.models import Tariff
from roaming.tariffs.services import tariff_save_own
from tests.stub_server import envelope
from tests.tariffs.factories import tariff_payload

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [{"role": "CPO", "country_code": "DE", "party_id": "SLS", "business_details": {"name": "Slash CPO"}}]


def b64(token):
    return "Token " + base64.b64encode(token.encode()).decode()


@pytest.fixture
def our_base(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    settings.OCPI_CLIENT_RETRIES = 0
    return live_server.url


def test_a_peer_that_looks_for_a_credentials_receiver_registers_with_us(stub_server, our_base):
    """The peer starts the registration itself, as implementations that read credentials as RECEIVER do."""
    partner, token_a = partner_invite(name="Receiver-minded CPO")
    stub_server.serve_ocpi_peer(modules=("credentials", "locations"))
    headers = {"Authorization": b64(token_a)}

    versions = requests.get(f"{our_base}/ocpi/versions", headers=headers, timeout=5).json()["data"]
    details = requests.get(versions[0]["url"], headers=headers, timeout=5).json()["data"]
    receiver = next(
        e["url"] for e in details["endpoints"] if e["identifier"] == "credentials" and e["role"] == "RECEIVER"
    )
    body = {"token": "token-b", "url": f"{stub_server.url}/ocpi/versions", "roles": ROLES}
    answer = requests.post(receiver, json=body, headers=headers, timeout=10).json()

    assert answer["status_code"] == 1000, answer
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert partner.their_token == "token-b"


def slash_peer(stub, *, pushed: list):
    """A FastAPI-like peer: every URL without a trailing slash answers 307 to the same URL with one."""
    base = stub.url

    def redirect(request):
        query = f"?{request.query}" if request.query else ""
        return 307, b"", {"Location": f"{base}{request.path}/{query}"}

    endpoints = [
        {"identifier": "credentials", "role": "RECEIVER", "url": f"{base}/ocpi/credentials"},
        {"identifier": "tariffs", "role": "SENDER", "url": f"{base}/ocpi/cpo/tariffs"},
        {"identifier": "tariffs", "role": "RECEIVER", "url": f"{base}/ocpi/emsp/tariffs"},
    ]
    stub.route("GET", "/ocpi/versions", (200, envelope([{"version": "2.2.1", "url": f"{base}/ocpi/2.2.1"}])))
    stub.route("GET", "/ocpi/2.2.1", (200, envelope({"version": "2.2.1", "endpoints": endpoints})))

    def credentials(request):
        body = request.json()
        check = requests.get(body["url"], headers={"Authorization": b64(body["token"])}, timeout=5)
        assert check.status_code == 200
        return 200, envelope({"token": "token-c", "url": f"{base}/ocpi/versions", "roles": ROLES})

    stub.route("POST", "/ocpi/credentials", redirect)
    stub.route("POST", "/ocpi/credentials/", credentials)

    def tariffs(request):
        offset = int(parse_qs(request.query).get("offset", ["0"])[0])
        page = [tariff_payload(country_code="DE", party_id="SLS", tariff_id=f"T{i}") for i in range(3)][offset:][:2]
        return 200, envelope(json.loads(dumps(page))), {"X-Total-Count": "3"}

    stub.route("GET", "/ocpi/cpo/tariffs", redirect)
    stub.route("GET", "/ocpi/cpo/tariffs/", tariffs)
    stub.route("PUT", "/ocpi/emsp/tariffs/NL/EXA/OWN1", redirect)

    def receive(request):
        pushed.append((request.path, request.json(), request.headers.get("Authorization")))
        return 200, envelope()

    stub.route("PUT", "/ocpi/emsp/tariffs/NL/EXA/OWN1/", receive)


def test_a_peer_answering_307_everywhere_registers_is_pulled_and_is_pushed_to(stub_server, our_base, settings):
    settings.OCPI_PULL_PAGE_LIMIT = 2
    pushed = []
    slash_peer(stub_server, pushed=pushed)

    partner = partner_register_outbound(
        partner=partner_create_outbound(versions_url=f"{stub_server.url}/ocpi/versions", token="token-a")
    )
    assert partner.status == PartnerStatus.REGISTERED
    assert partner.endpoints.get(identifier="credentials").role == "RECEIVER"

    call_command("sync_partner", str(partner.pk), "--module", "tariffs")
    run = SyncRun.objects.get()
    assert (run.status, run.received, run.accepted) == ("succeeded", 3, 3), run.errors
    assert Tariff.objects.filter(source_partner=partner).count() == 3

    body = tariff_payload(tariff_id="OWN1")
    del body["country_code"], body["party_id"], body["last_updated"]
    tariff_save_own(data=body)  # pushed on commit

    assert OutboxMessage.objects.get(partner=partner).status == "delivered"
    ((path, sent, authorization),) = pushed
    assert (path, sent["id"], authorization) == ("/ocpi/emsp/tariffs/NL/EXA/OWN1/", "OWN1", b64("token-c"))
    assert Partner.objects.get(pk=partner.pk).last_error == ""
