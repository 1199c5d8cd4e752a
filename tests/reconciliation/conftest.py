"""Fixtures of the reconciliation tests: a CPO partner (BE/BEC, the spec examples' owner) whose Sender endpoints
are a real HTTP stub, and its lists."""

import json
from datetime import UTC, datetime

import pytest

from tests.data import OCPI_EXAMPLES
from tests.stub_server import envelope

CDRS = "/ocpi/2.2.1/cpo/cdrs"
SESSIONS = "/ocpi/2.2.1/cpo/sessions"
LOCATIONS = "/ocpi/2.2.1/cpo/locations"
JUNE = {"date_from": datetime(2015, 6, 1, tzinfo=UTC), "date_to": datetime(2015, 7, 1, tzinfo=UTC)}


def session_example(**extra) -> dict:
    return {**json.loads((OCPI_EXAMPLES / "session_example_2_short_finished.json").read_text()), **extra}


@pytest.fixture
def cpo(stub_partner):
    return stub_partner(
        "BE",
        "BEC",
        "CPO",
        [("cdrs", "SENDER", CDRS), ("sessions", "SENDER", SESSIONS), ("locations", "SENDER", LOCATIONS)],
    )


def serve(stub, path, objects, page=2):
    """Serve ``objects`` at ``path`` in pages of ``page`` with Link headers, as a real Sender does."""
    from urllib.parse import parse_qs

    def handle(request):
        offset = int(parse_qs(request.query).get("offset", ["0"])[0])
        headers = {"X-Total-Count": str(len(objects)), "X-Limit": str(page)}
        if offset + page < len(objects):
            headers["Link"] = (
                f'<{stub.url}{path}?{request.query.split("&offset")[0]}&offset={offset + page}>; rel="next"'
            )
        return 200, envelope(objects[offset : offset + page]), headers

    stub.route("GET", path, handle)
