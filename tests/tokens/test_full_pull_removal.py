"""A complete full pull of an eMSP's Tokens makes the ones it no longer returns invalid (mod_tokens.asciidoc has no
DELETE: an eMSP retires a token with valid=false); an incremental pull never does."""

import pytest

from roaming.ocpi.pull import sync_pull
from roaming.tokens.models import Token
from tests.stub_server import envelope
from tests.tokens.factories import token_payload

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/emsp/tokens"


@pytest.fixture
def emsp(stub_partner):
    return stub_partner("DE", "MSP", "EMSP", [("tokens", "SENDER", PATH)])


def serve(stub, tokens):
    stub.route("GET", PATH, (200, envelope(tokens), {"X-Total-Count": str(len(tokens))}))


def valid():
    return dict(Token.objects.values_list("uid", "valid"))


def test_full_pull_invalidates_the_tokens_no_longer_returned(stub_server, emsp):
    serve(stub_server, [token_payload(uid="A"), token_payload(uid="B"), token_payload(uid="B", type="APP_USER")])
    sync_pull(partner_id=emsp.pk, module="tokens", full=True)

    serve(stub_server, [token_payload(uid="a"), token_payload(uid="B", type="APP_USER")])  # uid is a CiString
    incremental = sync_pull(partner_id=emsp.pk, module="tokens")
    assert (incremental.removed, Token.objects.get(uid="B", type="RFID").valid) == (0, True)

    run = sync_pull(partner_id=emsp.pk, module="tokens", full=True)

    assert (run.removed, run.removed_ids) == (1, ["DE/MSP/B/RFID"])
    assert Token.objects.get(uid="B", type="RFID").valid is False
    assert Token.objects.get(uid="B", type="APP_USER").valid is True
    assert Token.objects.get(uid="A").valid is True

    serve(stub_server, [token_payload(uid="A"), token_payload(uid="B"), token_payload(uid="B", type="APP_USER")])
    sync_pull(partner_id=emsp.pk, module="tokens", full=True)
    assert Token.objects.get(uid="B", type="RFID").valid is True  # listed again: valid as the eMSP says
