"""Fixtures of the sessions tests: a staff CSMS API client, the eMSP partner DE/MSP whose receiver is a real HTTP
stub, and its token in our cache."""

import pytest
from django.contrib.auth import get_user_model

from roaming.core.api_keys import api_key_create
from tests.partners.factories import registered_partner_with_token
from tests.sessions.factories import cached_token
from tests.stub_server import envelope

EMSP_PATH = "/ocpi/2.2.1/emsp/sessions"


@pytest.fixture(autouse=True)
def _no_client_retries(settings):
    settings.OCPI_CLIENT_RETRIES = 0


@pytest.fixture
def csms(client, db):
    """Call the CSMS API as a staff user with an API token: ``csms("post", "sessions", body)``."""
    user = get_user_model().objects.create_user("csms", password="x", is_staff=True)
    key = api_key_create(user=user, name="CSMS")[1]

    def call(method, path, body=None):
        kwargs = {"content_type": "application/json", "HTTP_AUTHORIZATION": f"Token {key}"}
        if body is None:
            return getattr(client, method)(f"/api/v1/{path}", **kwargs)
        return getattr(client, method)(f"/api/v1/{path}", body, **kwargs)

    return call


class PrefixRoutes(dict):
    """Stub routes where a key ``(METHOD, "/prefix/*")`` answers every path under the prefix (session ids are ours
    to generate, so a test cannot name them before the push is sent)."""

    def get(self, key, default=None):
        if key in self:
            return self[key]
        method, path = key
        for (m, pattern), responses in self.items():
            if m == method and pattern.endswith("*") and path.startswith(pattern[:-1]):
                return responses
        return default


@pytest.fixture
def emsp(stub_server, db):
    """eMSP partner DE/MSP publishing a sessions RECEIVER on the stub (answers 200 to anything under it); its token
    CARD1 is in our cache. Returns (partner, token it calls us with)."""
    partner, token = registered_partner_with_token(
        country_code="DE",
        party_id="MSP",
        role="EMSP",
        endpoints=[("sessions", "RECEIVER", f"{stub_server.url}{EMSP_PATH}")],
    )
    cached_token(partner=partner)
    stub_server.routes = PrefixRoutes()
    for method in ("PUT", "PATCH", "GET"):
        stub_server.route(method, f"{EMSP_PATH}/*", (200, envelope()))
    return partner, token
