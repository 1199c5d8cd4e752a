"""Tokens opt into the OCPI interface suite (tests/ocpi/interface.py): Receiver at our CPO, Sender at our eMSP."""

from roaming.tokens.models import Token
from tests.ocpi.interface import EARLY, ReceiverInterface, envelope_ok
from tests.tokens.factories import TokenFactory, token_payload


class TestTokensInterface(ReceiverInterface):
    module = "tokens"
    receiver_url = "/ocpi/2.2.1/cpo/tokens"
    sender_url = "/ocpi/2.2.1/emsp/tokens"
    owner_role = "EMSP"
    model = Token
    write_methods = ("PUT", "PATCH")

    def valid_body(self, country_code, party_id, object_id, last_updated):
        return token_payload(country_code=country_code, party_id=party_id, uid=object_id, last_updated=last_updated)

    def make_own(self, count, last_updated):
        TokenFactory.create_batch(count, last_updated=last_updated)

    def fuzz_targets(self, body):
        rich = {
            **body,
            "visual_number": "DF000-2001-8999-1",
            "group_id": "DF000-2001-8999",
            "language": "it",
            "default_profile_type": "GREEN",
            "energy_contract": {"supplier_name": "Greenpeace Energy eG", "contract_id": "0123456789"},
        }
        patch = {"valid": False, "whitelist": "NEVER", "last_updated": body["last_updated"]}
        return [("PUT", "BE/BEC/OBJ1", body), ("PUT", "BE/BEC/OBJ1", rich), ("PATCH", "BE/BEC/OBJ1", patch)]

    def test_put_creates_then_get_returns_it_with_an_envelope(self, client, owner):
        # A Token's id member is ``uid`` (and ``type`` is part of its key), not ``id``.
        _, token = owner
        created = self.call(client, "PUT", "BE/BEC/OBJ1", self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token)
        assert created.status_code == 201
        assert "data" not in created.json()
        got = self.call(client, "GET", "be/bec/obj1?type=rfid", token=token)
        assert envelope_ok(got)["data"]["uid"] == "OBJ1"
        assert self.model.objects.get().source_partner_id == owner[0].pk
