"""The partner profile (issue 10): what a partner wants that its answers do not reveal, honoured by the outbound
client and by our parsing of its bodies, editable in the partner admin."""

import io
from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site

from roaming.ocpi.caller import OcpiCaller
from roaming.ocpi.client import OcpiClient
from roaming.ocpi.renderers import OcpiJSONParser
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner
from tests.partners.factories import PartnerFactory
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

TOKEN = {"country_code": "DE", "party_id": "MSP", "uid": "012345678", "type": "RFID", "contract_id": "DE8ACC"}


def client(**kwargs):
    return OcpiClient("their-token", partner_id=PartnerFactory().pk, retries=0, backoff=0, **kwargs)


def test_token_type_is_sent_under_the_partners_key(stub_server):
    stub_server.route("PUT", "/tokens/DE/MSP/012345678", (200, envelope()))
    stub_server.route("PUT", "/sessions/DE/MSP/S1", (200, envelope()))
    stub_server.route("PUT", "/tariffs/DE/MSP/T1", (200, envelope()))
    wants = client(token_type_field="token_type")

    wants.put(f"{stub_server.url}/tokens/DE/MSP/012345678", TOKEN, module="tokens")
    wants.put(f"{stub_server.url}/sessions/DE/MSP/S1", {"id": "S1", "cdr_token": TOKEN}, module="sessions")
    wants.put(f"{stub_server.url}/tariffs/DE/MSP/T1", {"id": "T1", "type": "REGULAR"}, module="tariffs")

    token_sent = stub_server.calls("PUT", "/tokens/DE/MSP/012345678")[0].json()
    assert token_sent["token_type"] == "RFID" and "type" not in token_sent
    assert stub_server.calls("PUT", "/sessions/DE/MSP/S1")[0].json()["cdr_token"]["token_type"] == "RFID"
    assert stub_server.calls("PUT", "/tariffs/DE/MSP/T1")[0].json()["type"] == "REGULAR"  # a tariff's own type
    assert TOKEN["type"] == "RFID"  # the caller's object is left alone


def test_token_type_is_read_back_under_the_spec_key(stub_server):
    theirs = {**{k: v for k, v in TOKEN.items() if k != "type"}, "token_type": "APP_USER"}
    stub_server.route("GET", "/tokens", (200, envelope([theirs]), {"X-Total-Count": "1"}))

    (token,) = client(token_type_field="token_type").iterate(f"{stub_server.url}/tokens", module="tokens")

    assert token["type"] == "APP_USER" and "token_type" not in token


def test_the_spec_key_by_default(stub_server):
    stub_server.route("PUT", "/tokens/DE/MSP/012345678", (200, envelope()))

    client().put(f"{stub_server.url}/tokens/DE/MSP/012345678", TOKEN, module="tokens")

    assert stub_server.calls("PUT", "/tokens/DE/MSP/012345678")[0].json()["type"] == "RFID"


def test_partner_client_honours_the_profile(stub_server):
    partner = PartnerFactory(token_encoding="plain", token_type_field="token_type")
    partner.their_token = "plain-token"
    partner.save()
    stub_server.route("PUT", "/tokens/DE/MSP/012345678", (200, envelope()))

    PartnerClient(partner, retries=0).put(f"{stub_server.url}/tokens/DE/MSP/012345678", TOKEN, module="tokens")

    (sent,) = stub_server.calls("PUT", "/tokens/DE/MSP/012345678")
    assert {k.lower(): v for k, v in sent.headers.items()}["authorization"] == "Token plain-token"
    assert sent.json()["token_type"] == "RFID"


@pytest.mark.parametrize(("field", "expected_key"), [("token_type", "type"), ("type", "type")])
def test_our_parsing_of_a_partners_body_honours_the_profile(field, expected_key):
    caller = OcpiCaller(partner_id=1, partner_name="p", token_kind="C", token="t", token_type_field=field)
    raw = b'{"uid": "1", "%s": "RFID"}' % field.encode()
    context = {"request": SimpleNamespace(_user=caller), "view": SimpleNamespace(ocpi_module="tokens")}

    parsed = OcpiJSONParser().parse(io.BytesIO(raw), parser_context=context)

    assert parsed == {"uid": "1", expected_key: "RFID"}


def test_the_profile_is_editable_in_the_partner_admin(rf, admin_user):
    model_admin = site._registry[Partner]
    request = rf.get("/admin/partners/partner/1/change/")
    request.user = admin_user
    partner = PartnerFactory()

    form = model_admin.get_form(request, partner)

    assert {"token_encoding", "token_type_field"} <= set(form.base_fields)
    assert {"token_encoding", "token_type_field"}.isdisjoint(model_admin.get_readonly_fields(request, partner))
    assert [c[0] for c in form.base_fields["token_type_field"].choices] == ["type", "token_type"]
