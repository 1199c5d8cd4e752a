"""Commands opt into the OCPI interface suite's action-endpoint part (tests/ocpi/interface.py, ``ActionInterface``):
our CPO's Receiver (the five commands) and our eMSP's Sender (the response_url a CPO posts a CommandResult to)."""

import pytest

from roaming.commands.models import Command
from roaming.commands.services import emsp as emsp_service
from roaming.ocpi.models import OutboxMessage
from roaming.sessions.models import ChargingSession
from tests.commands.conftest import CAPABLE, token_object
from tests.ocpi.interface import ActionInterface
from tests.sessions.factories import charger


def command_rows() -> list:
    return sorted(
        [
            *Command.objects.values_list("pk", "status", "result", "updated_at"),
            *ChargingSession.objects.values_list("pk", "status", "updated_at"),
            *OutboxMessage.objects.values_list("pk", "status"),
        ],
        key=str,
    )


class TestCommandReceiverInterface(ActionInterface):
    caller_role = "EMSP"
    fuzz_examples = 120

    def targets(self, caller):
        charger(internal_id="CP-1", capabilities=CAPABLE)
        url = "http://127.0.0.1:9/results/1"
        token = token_object(country_code="BE", party_id="BEC")
        base = "/ocpi/2.2.1/cpo/commands"
        return [
            (f"{base}/START_SESSION", {"response_url": url, "token": token, "location_id": "LOC-CP-1"}),
            (f"{base}/STOP_SESSION", {"response_url": url, "session_id": "S1"}),
            (
                f"{base}/RESERVE_NOW",
                {
                    "response_url": url,
                    "token": token,
                    "expiry_date": "2099-01-01T00:00:00Z",
                    "reservation_id": "R1",
                    "location_id": "LOC-CP-1",
                },
            ),
            (f"{base}/CANCEL_RESERVATION", {"response_url": url, "reservation_id": "R1"}),
            (
                f"{base}/UNLOCK_CONNECTOR",
                {"response_url": url, "location_id": "LOC-CP-1", "evse_uid": "EVSE-CP-1", "connector_id": "1"},
            ),
        ]

    def stored(self):
        return command_rows()


class TestCommandResultInterface(ActionInterface):
    caller_role = "CPO"
    fuzz_examples = 60
    optional_members = ("message",)

    @pytest.fixture
    def caller(self, cpo_partner):
        partner, token, _ = cpo_partner
        return partner, token

    def targets(self, caller):
        command = Command.objects.filter(role="EMSP").first() or emsp_service.command_send(
            command_type="UNLOCK_CONNECTOR", params={"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "1"}
        )
        path = command.response_url.split("127.0.0.1:8000", 1)[1]
        return [(path, {"result": "ACCEPTED", "message": [{"language": "en", "text": "done"}]})]

    def stored(self):
        return command_rows()
