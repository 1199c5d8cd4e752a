"""Shared fixtures: the database/Redis banner, eager Celery for in-process tests, a stub partner HTTP server and
registered partners with real tokens."""

import base64

import pytest
from django.conf import settings

from tests.stub_server import StubServer


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    name = db.get("TEST", {}).get("NAME") or f"test_{db.get('NAME')}"
    where = f"{db.get('HOST')}:{db.get('PORT') or ''} ({name})" if db.get("HOST") else str(db.get("NAME"))
    redis = settings.REDIS_URL or "none (in-memory broker, eager tasks)"
    return [f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {where}", f"redis: {redis}"]


#: test folders whose tests carry a marker of the same name, so they can be run or left out alone (-m e2e)
MARKED_FOLDERS = ("e2e", "browser", "interop")


def pytest_collection_modifyitems(items):
    for item in items:
        for folder in MARKED_FOLDERS:
            if f"/tests/{folder}/" in str(item.fspath):
                item.add_marker(folder)


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """In-process tests run tasks eagerly; the end-to-end tests start real workers against Redis."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (locks, per-partner push backoff): state never leaks between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def stub_server():
    server = StubServer()
    server.start()
    yield server
    server.stop()


def auth(token: str, encoding: str = "base64") -> dict:
    """Authorization header kwargs for Django's test client."""
    value = base64.b64encode(token.encode()).decode() if encoding == "base64" else token
    return {"HTTP_AUTHORIZATION": f"Token {value}"}


@pytest.fixture
def registered_partner(db):
    """A registered partner (DE/MSP eMSP) and the access token it uses to call us."""
    from tests.partners.factories import registered_partner_with_token

    return registered_partner_with_token()


@pytest.fixture
def stub_partner(stub_server, settings, db):
    """Make registered partners whose endpoints are paths on the stub server:
    ``stub_partner("BE", "BEC", "CPO", [("locations", "SENDER", "/ocpi/2.2.1/cpo/locations")])``. The client's own
    quick retries are off, so a stubbed failure is asked once."""
    from tests.partners.factories import registered_partner_with_token

    settings.OCPI_CLIENT_RETRIES = 0

    def make(country_code: str, party_id: str, role: str, endpoints: list[tuple[str, str, str]]):
        partner, _ = registered_partner_with_token(
            country_code=country_code,
            party_id=party_id,
            role=role,
            endpoints=[(module, interface, f"{stub_server.url}{path}") for module, interface, path in endpoints],
        )
        return partner

    return make
