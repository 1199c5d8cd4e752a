"""Fixtures of the commands tests: one of our chargers (CPO side) with every command capability, an eMSP partner
DE/MSP calling us whose ``response_url`` is a real HTTP stub, and the CSMS adapter chosen per test."""

import datetime as dt
import json

import pytest

from roaming.commands.adapters import csms_adapter
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.sessions.conftest import PrefixRoutes, csms  # noqa: F401 - the staff API client fixture
from tests.sessions.factories import charger
from tests.stub_server import envelope

CAPABLE = ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE"]
RESULTS = "/emsp/results"


@pytest.fixture(autouse=True)
def _adapter(settings):
    """The simulator adapter, answering at once (eager Celery), unless a test sets another one."""
    settings.OCPI_CLIENT_RETRIES = 0
    settings.COMMANDS_CSMS_ADAPTER = "roaming.commands.simulator.SimulatorCsmsAdapter"
    settings.COMMANDS_SIMULATOR_DELAY_SECONDS = 0
    csms_adapter.cache_clear()
    yield
    csms_adapter.cache_clear()


@pytest.fixture
def our_charger(db):
    """Our connector "1" of EVSE ``EVSE-CP-1`` at location ``LOC-CP-1``, able to start, reserve and unlock."""
    return charger(internal_id="CP-1", capabilities=CAPABLE)


@pytest.fixture
def emsp(stub_server, db):
    """eMSP partner DE/MSP calling our CPO; its response_urls (under /emsp/results/) answer 1000.
    Returns (partner, the token it calls us with, the stub)."""
    partner, token = registered_partner_with_token(country_code="DE", party_id="MSP", role="EMSP")
    stub_server.routes = PrefixRoutes()
    stub_server.route("POST", f"{RESULTS}/*", (200, envelope()))
    return partner, token, stub_server


def response_url(stub, name: str = "1") -> str:
    return f"{stub.url}{RESULTS}/{name}"


def reserve_body(stub, name: str = "r1", reservation_id: str = "RES-1", minutes: int = 60) -> dict:
    """A ReserveNow for LOC-CP-1 ending ``minutes`` from now, its result going to ``response_url(stub, name)``."""
    from django.utils import timezone

    expiry = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes)
    return {
        "response_url": response_url(stub, name),
        "token": token_object(),
        "expiry_date": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reservation_id": reservation_id,
        "location_id": "LOC-CP-1",
    }


def token_object(uid: str = "APP-1", **extra) -> dict:
    body = {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": uid,
        "type": "APP_USER",
        "contract_id": "DE-MSP-C00000001",
        "issuer": "MSP Mobility",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": "2024-01-01T00:00:00Z",
    }
    body.update(extra)
    return body


CPO_COMMANDS = "/cpo/commands"


@pytest.fixture
def cpo_partner(stub_server, db):
    """CPO partner BE/BEC publishing a commands Receiver on the stub (answers ACCEPTED, timeout 30), with one
    location LOC-BE (EVSE BE-E1, connector 1) it sent us; our own valid token UID-APP. Returns
    (partner, the token it calls us with, the stub)."""
    from tests.locations.factories import ConnectorFactory, EVSEFactory, ReceivedLocationFactory
    from tests.tokens.factories import TokenFactory

    partner, token = registered_partner_with_token(
        country_code="BE",
        party_id="BEC",
        role="CPO",
        endpoints=[("commands", "RECEIVER", f"{stub_server.url}{CPO_COMMANDS}")],
    )
    location = ReceivedLocationFactory(location_id="LOC-BE", source_partner=partner)
    ConnectorFactory(evse=EVSEFactory(location=location, uid="BE-E1"), connector_id="1")
    TokenFactory(uid="UID-APP", type="APP_USER", contract_id="NL-EXA-C12345678-N")
    stub_server.routes = PrefixRoutes()
    stub_server.route("POST", f"{CPO_COMMANDS}/*", (200, envelope({"result": "ACCEPTED", "timeout": 30})))
    return partner, token, stub_server


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST a command to our CPO as a partner, running what is queued after commit (the CSMS hand-over, the result
    push): ``post(token, "START_SESSION", body)``."""

    def send(token, command, body):
        with django_capture_on_commit_callbacks(execute=True):
            url = f"/ocpi/2.2.1/cpo/commands/{command}"
            return client.post(url, json.dumps(body), content_type="application/json", **auth(token))

    return send
