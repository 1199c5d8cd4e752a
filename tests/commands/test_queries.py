"""Query ceilings: a command costs a constant number of queries on both sides, whatever the data around it."""

import json
from urllib.parse import urlsplit

from roaming.commands.services import emsp
from tests.commands.conftest import CAPABLE, response_url, token_object
from tests.conftest import auth
from tests.locations.factories import ConnectorFactory, EVSEFactory

START = "/ocpi/2.2.1/cpo/commands/START_SESSION"


def test_receiving_a_command_costs_a_constant_number_of_queries(
    client, emsp, our_charger, django_assert_max_num_queries
):
    _, token, stub = emsp
    # More EVSEs and connectors at the location must not cost more.
    for n in range(5):
        evse = EVSEFactory(location=our_charger.evse.location, uid=f"MORE-{n}", capabilities=CAPABLE)
        ConnectorFactory(evse=evse, connector_id="1")
        ConnectorFactory(evse=evse, connector_id="2")
    body = {"response_url": response_url(stub), "token": token_object(), "location_id": "LOC-CP-1"}
    with django_assert_max_num_queries(12):
        response = client.post(START, json.dumps(body), content_type="application/json", **auth(token))
    assert response.json()["data"]["result"] == "ACCEPTED"


def test_receiving_a_result_costs_a_constant_number_of_queries(client, cpo_partner, django_assert_max_num_queries):
    _, token, _ = cpo_partner
    command = emsp.command_send(
        command_type="UNLOCK_CONNECTOR", params={"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "1"}
    )
    path = urlsplit(command.response_url).path
    with django_assert_max_num_queries(10):
        response = client.post(path, json.dumps({"result": "ACCEPTED"}), content_type="application/json", **auth(token))
    assert response.json()["status_code"] == 1000
