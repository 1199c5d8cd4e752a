"""Tariffs opt into the OCPI interface suite (tests/ocpi/interface.py): Receiver at our eMSP, Sender at our CPO."""

from roaming.tariffs.models import Tariff
from tests.ocpi.interface import ReceiverInterface
from tests.tariffs.factories import TariffFactory, fixed_put_example, tariff_payload


class TestTariffsInterface(ReceiverInterface):
    module = "tariffs"
    receiver_url = "/ocpi/2.2.1/emsp/tariffs"
    sender_url = "/ocpi/2.2.1/cpo/tariffs"
    model = Tariff
    write_methods = ("PUT", "DELETE")

    def valid_body(self, country_code, party_id, object_id, last_updated):
        return tariff_payload(
            country_code=country_code, party_id=party_id, tariff_id=object_id, last_updated=last_updated
        )

    def make_own(self, count, last_updated):
        TariffFactory.create_batch(count, last_updated=last_updated)

    def fuzz_targets(self, body):
        # The spec's richest example too: restrictions, alt texts, energy mix give the fuzzer more members to break.
        rich = {**fixed_put_example(), "country_code": "BE", "party_id": "BEC", "id": "OBJ1"}
        rich["last_updated"] = body["last_updated"]
        return [("PUT", "BE/BEC/OBJ1", body), ("PUT", "BE/BEC/OBJ1", rich)]
