"""CDRs opt into the OCPI interface suite (tests/ocpi/interface.py): Receiver at our eMSP (POST to the collection,
GET at the Location), Sender at our CPO. The suite's PUT-based checks are restated for POST, since CDRs cannot be
PUT (mod_cdrs.asciidoc, Receiver Interface); the Sender checks run with an eMSP caller, the only one that sees CDRs.
"""

import pytest
from django.conf import settings as django_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from roaming.cdrs.models import Cdr, QuarantinedCdr
from roaming.ocpi.datetimes import format_datetime
from tests.cdrs.factories import cdr_payload, own_cdr
from tests.ocpi.interface import EARLY, FUZZ_SETTINGS, LATER, ReceiverInterface, envelope_ok, mutated_bodies
from tests.partners.factories import registered_partner_with_token


class TestCdrsInterface(ReceiverInterface):
    module = "cdrs"
    receiver_url = "/ocpi/2.2.1/emsp/cdrs"
    sender_url = "/ocpi/2.2.1/cpo/cdrs"
    model = Cdr
    write_methods = ("POST",)
    fuzz_examples = 120

    def valid_body(self, country_code, party_id, object_id, last_updated):
        return cdr_payload(country_code=country_code, party_id=party_id, id=object_id, last_updated=last_updated)

    def make_own(self, count, last_updated):
        for _ in range(count):
            own_cdr(f"OWN{Cdr.objects.count()}", token_party=("DE", "TNM"), last_updated=format_datetime(last_updated))

    def post(self, client, body, *, token, raw=None):
        return self.call(client, "POST", "", body, token=token, raw=raw)

    @pytest.fixture
    def emsp_caller(self, db):
        return registered_partner_with_token(country_code="DE", party_id="TNM", role="EMSP")

    # --- restated for POST ----------------------------------------------------------------------------------

    def test_put_creates_then_get_returns_it_with_an_envelope(self, client, owner):
        _, token = owner
        created = self.post(client, self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token)
        assert created.status_code == 201
        assert envelope_ok(created)["status_code"] == 1000
        assert "data" not in created.json()
        assert created["Location"] == f"{django_settings.OCPI_BASE_URL}{self.receiver_url}/BE/BEC/OBJ1"
        got = self.call(client, "GET", "be/bec/obj1", token=token)
        assert envelope_ok(got)["data"]["id"] == "OBJ1"
        assert self.model.objects.get().partner_id == owner[0].pk

    def test_another_partys_objects_are_refused(self, client, owner):
        _, token = owner
        _, other_token = registered_partner_with_token(country_code="NL", party_id="TNM", role=self.owner_role)
        body = self.valid_body("NL", "TNM", "OBJ1", EARLY)
        refused = self.post(client, body, token=token)
        assert refused.status_code == 404
        assert envelope_ok(refused)["status_code"] == 2001
        assert not self.model.objects.exists()
        assert self.post(client, body, token=other_token).status_code == 201
        assert self.call(client, "GET", "NL/TNM/OBJ1", token=token).status_code == 404

    def test_a_partner_holding_the_party_under_another_role_is_refused(self, client, owner):
        _, token = owner
        assert self.post(client, self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token).status_code == 201
        before = self.stored()
        _, intruder = registered_partner_with_token(country_code="BE", party_id="BEC", role=self.other_role())
        hijack = self.post(client, self.valid_body("BE", "BEC", "OBJ2", LATER), token=intruder)
        read = self.call(client, "GET", "BE/BEC/OBJ1", token=intruder)
        assert (hijack.status_code, envelope_ok(hijack)["status_code"]) == (404, 2001)
        assert f"as {self.owner_role}" in hijack.json()["status_message"]
        assert read.status_code == 404
        assert self.stored() == before

    def test_stale_put_is_acknowledged_and_ignored(self, client, owner):
        """CDRs have no updates, stale or not: another CDR under a held id is refused and changes nothing."""
        _, token = owner
        self.post(client, self.valid_body("BE", "BEC", "OBJ1", LATER), token=token)
        before = self.stored()
        other = self.post(client, self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token)
        assert (other.status_code, envelope_ok(other)["status_code"]) == (200, 2001)
        assert self.stored() == before

    def test_an_invalid_body_is_2001_naming_the_field_and_stores_nothing(self, client, owner):
        _, token = owner
        body = self.valid_body("BE", "BEC", "OBJ1", EARLY)
        del body["last_updated"]
        response = self.post(client, body, token=token)
        assert (response.status_code, envelope_ok(response)["status_code"]) == (200, 2001)
        assert response.json()["status_message"].startswith("last_updated:")
        assert "data" not in response.json()
        assert not self.model.objects.exists()
        assert QuarantinedCdr.objects.count() == 1  # kept for finance, not stored as a CDR

    def test_sender_list_pages_with_headers_link_and_date_window(
        self, client, emsp_caller, django_assert_max_num_queries
    ):
        super().test_sender_list_pages_with_headers_link_and_date_window(
            client, emsp_caller, django_assert_max_num_queries
        )

    def test_fuzz_mutated_bodies_get_an_envelope_and_a_refusal_changes_nothing(self, client, owner):
        _, token = owner
        base = self.valid_body("BE", "BEC", "OBJ1", EARLY)
        assert self.post(client, base, token=token).status_code == 201

        @settings(max_examples=self.fuzz_examples, **FUZZ_SETTINGS)
        @given(data=st.data())
        def run(data):
            raw = data.draw(mutated_bodies(base), label="raw")
            before = self.stored()
            answer = envelope_ok(self.post(client, None, token=token, raw=raw))
            if answer["status_code"] != 1000:
                assert self.stored() == before, answer

        run()
