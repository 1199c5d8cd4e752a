"""Locations opt into the OCPI interface suite (tests/ocpi/interface.py): Receiver at our eMSP, Sender at our CPO."""

import copy

from roaming.locations.models import Location
from tests.locations.conftest import RECEIVER, SENDER, example
from tests.locations.factories import location_with_evses
from tests.ocpi.interface import ReceiverInterface


class TestLocationsInterface(ReceiverInterface):
    module = "locations"
    receiver_url = RECEIVER
    sender_url = SENDER
    model = Location
    unknown_status = 2003  # Unknown Location (mod_locations.asciidoc)
    list_query_ceiling = 11  # authentication, traffic log, count, page of pks, three light reads (render)
    write_methods = ("PUT", "PATCH")

    def valid_body(self, country_code, party_id, object_id, last_updated):
        body = copy.deepcopy(example("location_example.json"))
        body.update(country_code=country_code, party_id=party_id, id=object_id, last_updated=last_updated)
        for evse in body["evses"]:
            evse["last_updated"] = last_updated
            for connector in evse["connectors"]:
                connector["last_updated"] = last_updated
        return body

    def make_own(self, count, last_updated):
        for _ in range(count):
            location_with_evses(evses=2, connectors=2, last_updated=last_updated)

    def fuzz_targets(self, body):
        evse = body["evses"][0]
        connector = evse["connectors"][0]
        status = {"status": "CHARGING", "last_updated": body["last_updated"]}
        return [
            ("PUT", "BE/BEC/OBJ1", body),
            ("PATCH", "BE/BEC/OBJ1", {"name": "Renamed", "last_updated": body["last_updated"]}),
            ("PUT", f"BE/BEC/OBJ1/{evse['uid']}", evse),
            ("PATCH", f"BE/BEC/OBJ1/{evse['uid']}", status),
            ("PUT", f"BE/BEC/OBJ1/{evse['uid']}/{connector['id']}", connector),
            ("PATCH", f"BE/BEC/OBJ1/{evse['uid']}/{connector['id']}", {"tariff_ids": ["T9"], **status}),
        ]
