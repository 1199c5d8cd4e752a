"""Interop with py-ocpi 0.3.1, a real third-party OCPI 2.2.1 implementation, over real HTTP (issue 10).

py-ocpi plays a CPO (we, as eMSP, register with it and pull its locations and tariffs) and an eMSP (we, as CPO,
register with it, push our locations and tariffs and read them back from it); then rotation and unregistering.
Each deviation from the spec it shows is listed in the README ("Partner quirks we tolerate") with the test here or
in tests/ocpi/test_client_quirks.py that covers it.
"""

import copy
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from roaming.core.exceptions import PartnerUnreachable
from roaming.locations.api.serializers import ChargerWriteSerializer
from roaming.locations.models import Location
from roaming.locations.services.csms import charger_upsert_from_csms
from roaming.ocpi.client import encode_token
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.models import OutboxMessage, SyncRun, TrafficLog
from roaming.ocpi.push import outbox_deliver
from roaming.partners.choices import PartnerStatus
from roaming.partners.client import PartnerClient
from roaming.partners.models import PartnerEvent
from roaming.partners.services import (
    partner_create_outbound,
    partner_register_outbound,
    partner_rotate_credentials,
    partner_unregister,
)
from roaming.tariffs.models import Tariff
from roaming.tariffs.services import tariff_save_own

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = Path(__file__).parent.parent / "data" / "ocpi-examples"


def example(name: str, **changes) -> dict:
    body = copy.deepcopy(json.loads((EXAMPLES / name).read_text()))
    body.update(changes)
    return body


def their_locations(n: int) -> list[dict]:
    return [
        example(
            "location_example.json",
            country_code="DE",
            party_id="PYO",
            id=f"LOC{i}",
            last_updated=f"2024-01-0{i + 1}T10:00:00Z",
        )
        for i in range(n)
    ]


def their_tariffs() -> list[dict]:
    return [
        example("tariff_1_simple_2hour.json", country_code="DE", party_id="PYO", id="T1"),
        example("tariff_4_complex.json", country_code="DE", party_id="PYO", id="T4"),
        example("tariff_8_simple_025kwh.json", country_code="DE", party_id="PYO", id="T8"),
    ]


@pytest.fixture
def our_base(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    settings.OCPI_CLIENT_RETRIES = 0
    return live_server.url


def register(peer):
    partner = partner_create_outbound(versions_url=peer.versions_url, token=peer.token_a)
    return partner_register_outbound(partner=partner)


def test_we_register_with_a_py_ocpi_cpo_and_pull_its_locations_and_tariffs(start_peer, our_base, settings):
    settings.OCPI_PULL_PAGE_LIMIT = 2  # 6 locations: three pages, its Link unusable on each
    # One location changes after py-ocpi started: it defaults date_to to its start-up time, which would hide it.
    changed_later = timezone.now() + timedelta(seconds=2)
    locations = [*their_locations(5), their_locations(6)[5] | {"last_updated": format_datetime(changed_later)}]
    peer = start_peer("CPO", seed={"locations": locations, "tariffs": their_tariffs()})
    assert requests.get(peer.versions_url, timeout=5).status_code == 200  # quirk: versions answers without a token

    partner = register(peer)
    time.sleep(max(0.0, (changed_later - timezone.now()).total_seconds() + 1))

    assert partner.status == PartnerStatus.REGISTERED
    assert [str(r) for r in partner.roles.all()] == ["DE/PYO CPO"]
    # It publishes credentials as RECEIVER only; its collection URLs answer 307 to add a slash.
    assert partner.endpoints.get(identifier="credentials").role == "RECEIVER"
    assert TrafficLog.objects.filter(direction="OUT", http_status=307, url__endswith="/credentials").exists()

    call_command("sync_partner", str(partner.pk), "--module", "locations")
    call_command("sync_partner", str(partner.pk), "--module", "tariffs")

    run = SyncRun.objects.get(module="locations")
    assert (run.status, run.pages, run.received, run.accepted) == ("succeeded", 3, 6, 6)
    assert run.rejected == 0, run.errors
    # py-ocpi lower-cases every CiString it sends (ids, country_code, party_id): CiStrings compare case-insensitively.
    stored = Location.objects.filter(source_partner=partner).values_list("country_code", "party_id", "location_id")
    assert sorted((cc, pid, lid.upper()) for cc, pid, lid in stored) == [("DE", "PYO", f"LOC{i}") for i in range(6)]
    tariffs = SyncRun.objects.get(module="tariffs")
    assert (tariffs.status, tariffs.accepted, tariffs.rejected) == ("succeeded", 3, 0), tariffs.errors
    assert Tariff.objects.filter(source_partner=partner).count() == 3
    # The Link it sends (https://, /cpo/ path, date_from=None) was never followed: every page was asked by offset.
    asked = TrafficLog.objects.filter(direction="OUT", url__contains="/locations/?").values_list("url", flat=True)
    assert all(url.startswith(peer.url) for url in asked)

    # An incremental pull asks date_from and gets nothing new (no clock-skew margin here: with one, it would re-read
    # the objects py-ocpi stamped within the margin before our last run, which is what the margin is for).
    settings.OCPI_PULL_CLOCK_SKEW_SECONDS = 0
    call_command("sync_partner", str(partner.pk), "--module", "locations")
    assert SyncRun.objects.filter(module="locations").latest("started_at").received == 0


CHARGER = {
    "evse_id": "NL*EXA*E12345",
    "location_id": "LOC-OWN-1",
    "location": {
        "name": "Our station",
        "address": "Main Street 1",
        "city": "Utrecht",
        "postal_code": "3511 AA",
        "country": "NL",
        "coordinates": {"latitude": 52.0907, "longitude": "5.1214"},
    },
    "connectors": [
        {
            "id": "1",
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "tariff_ids": ["OWN1"],
        }
    ],
}

OWN_TARIFF = {
    "id": "OWN1",
    "currency": "EUR",
    "type": "REGULAR",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "10.0", "step_size": 1}]}],
}


def read_back(partner, module: str, object_key: str) -> dict:
    url = partner.endpoints.get(identifier=module, role="RECEIVER").url
    return PartnerClient(partner).get(f"{url}/{object_key}", module=module).object


def test_we_register_with_a_py_ocpi_emsp_push_and_read_back(start_peer, our_base):
    peer = start_peer("EMSP")
    partner = register(peer)
    assert [str(r) for r in partner.roles.all()] == ["DE/PYO EMSP"]

    tariff_save_own(data=OWN_TARIFF)
    charger = ChargerWriteSerializer(data=CHARGER)
    assert charger.is_valid(), charger.errors
    charger_upsert_from_csms(internal_id="CP-1", data=charger.validated_data)

    messages = OutboxMessage.objects.filter(partner=partner)
    assert sorted(messages.values_list("module", flat=True)) == ["locations", "tariffs"]
    for message in messages:  # delivered on commit already (eager); delivering again is a no-op
        outbox_deliver(partner.pk, message.module, message.object_key)
    assert set(OutboxMessage.objects.filter(partner=partner).values_list("status", flat=True)) == {"delivered"}, [
        m.last_error for m in OutboxMessage.objects.all()
    ]
    # Each PUT went to .../{cc}/{pid}/{id} and was stored; GET answers it wrapped in a one-element list.
    tariff = read_back(partner, "tariffs", "NL/EXA/OWN1")
    assert (tariff["country_code"], tariff["party_id"], tariff["id"]) == ("nl", "exa", "own1")  # lower-cased
    assert tariff["elements"][0]["price_components"][0]["price"] == 0.25
    location = read_back(partner, "locations", "NL/EXA/LOC-OWN-1")
    assert location["id"] == "loc-own-1"
    assert location["evses"][0]["evse_id"].upper() == "NL*EXA*E12345"
    assert [t.upper() for t in location["evses"][0]["connectors"][0]["tariff_ids"]] == ["OWN1"]


def test_rotation_fails_cleanly_and_unregister_works_with_py_ocpi(start_peer, our_base):
    peer = start_peer("CPO", seed={"locations": their_locations(1)})
    partner = register(peer)
    token_c = partner.their_token
    locations_url = f"{peer.url}/ocpi/cpo/2.2.1/locations/"
    assert requests.get(locations_url, headers={"Authorization": encode_token(token_c)}, timeout=5).status_code == 200
    live_before = set(partner.tokens.filter(revoked_at__isnull=True).values_list("digest", flat=True))

    # Quirk we cannot tolerate: py-ocpi's credentials PUT indexes our version details' data as a list
    # (``data[0]``) and answers HTTP 500. The rotation fails without changing anything on either side.
    with pytest.raises(PartnerUnreachable, match="answered HTTP 500") as caught:
        partner_rotate_credentials(partner=partner)

    assert "Internal Server Error" not in caught.value.message  # its body stays in the traffic log
    partner.refresh_from_db()
    assert partner.their_token == token_c
    assert set(partner.tokens.filter(revoked_at__isnull=True).values_list("digest", flat=True)) == live_before
    assert PartnerEvent.objects.filter(partner=partner, action="rotate", success=False).exists()
    call_command("sync_partner", str(partner.pk), "--module", "locations")  # the connection still works
    assert SyncRun.objects.get().accepted == 1

    partner = partner_unregister(partner=partner)

    assert partner.status == PartnerStatus.UNREGISTERED
    assert not partner.tokens.filter(revoked_at__isnull=True).exists()
    # Its side forgot us too: the token C it issued is refused now (py-ocpi answers an auth failure with HTTP 500).
    refused = requests.get(locations_url, headers={"Authorization": encode_token(token_c)}, timeout=5)
    assert refused.status_code == 500
