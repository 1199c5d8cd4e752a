"""Sessions opt into the OCPI interface suite (tests/ocpi/interface.py): Receiver at our eMSP (PUT and PATCH
fuzzed), Sender at our CPO (its list needs ``date_from`` and answers an eMSP with its own drivers' sessions, so the
suite's Sender test is given that caller and parameter here)."""

import json
from datetime import UTC, datetime, timedelta

from roaming.sessions.models import ChargingSession
from tests.conftest import auth
from tests.data import OCPI_EXAMPLES
from tests.ocpi.interface import ReceiverInterface, envelope_ok
from tests.partners.factories import registered_partner_with_token


def session_row(n: int, last_updated: datetime) -> ChargingSession:
    """One of our own sessions, of a driver of eMSP DE/MSP."""
    return ChargingSession(
        country_code="NL",
        party_id="EXA",
        session_id=f"OWN-{n}-{last_updated:%m}",
        start_date_time=last_updated,
        cdr_token={"country_code": "DE", "party_id": "MSP", "uid": "C1", "type": "RFID", "contract_id": "DE-MSP-1"},
        auth_method="WHITELIST",
        location_id="LOC1",
        evse_uid="E1",
        connector_id="1",
        currency="EUR",
        status="ACTIVE",
        last_updated=last_updated,
        token_uid="C1",
        token_type="RFID",
        contract_id="DE-MSP-1",
        emsp_country_code="DE",
        emsp_party_id="MSP",
    )


class TestSessionsInterface(ReceiverInterface):
    module = "sessions"
    receiver_url = "/ocpi/2.2.1/emsp/sessions"
    sender_url = "/ocpi/2.2.1/cpo/sessions"
    model = ChargingSession
    write_methods = ("PUT", "PATCH")
    fuzz_examples = 150

    def valid_body(self, country_code, party_id, object_id, last_updated):
        body = json.loads((OCPI_EXAMPLES / "session_example_2_short_finished.json").read_text())
        body.update(country_code=country_code, party_id=party_id, id=object_id, last_updated=last_updated)
        return body

    def make_own(self, count, last_updated):
        ChargingSession.objects.bulk_create([session_row(n, last_updated) for n in range(count)])

    def fuzz_targets(self, body):
        patch = json.loads((OCPI_EXAMPLES / "session_patch_example_charging_period.json").read_text())
        return [("PUT", "BE/BEC/OBJ1", body), ("PATCH", "BE/BEC/OBJ1", patch)]

    def test_sender_list_pages_with_headers_link_and_date_window(self, client, owner, django_assert_max_num_queries):
        old, new = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
        self.make_own(3, old)
        self.make_own(2, new)
        _, token = registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP", their_token="m")
        since = {"date_from": "2020-01-01T00:00:00Z"}
        with django_assert_max_num_queries(self.list_query_ceiling):
            first = client.get(self.sender_url, {**since, "limit": 2}, **auth(token))
        assert len(envelope_ok(first)["data"]) == 2
        assert first["X-Total-Count"] == "5" and int(first["X-Limit"]) >= 2
        assert 'rel="next"' in first["Link"] and "offset=2" in first["Link"]
        window = {"date_from": (new - timedelta(days=1)).isoformat(), "date_to": (new + timedelta(days=1)).isoformat()}
        windowed = client.get(self.sender_url, window, **auth(token))
        assert len(envelope_ok(windowed)["data"]) == 2
        # the CPO partner (owner) has no drivers: it sees none of them
        assert envelope_ok(client.get(self.sender_url, since, **auth(owner[1])))["data"] == []
