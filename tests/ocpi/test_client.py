"""The outbound OCPI client against a real HTTP server on loopback (the stub partner), and against our own app."""

import base64
import json
import threading
import time
import uuid
from decimal import Decimal
from itertools import islice
from urllib.parse import parse_qs

import pytest
import requests

from roaming.ocpi.client import OcpiClient, OcpiClientError, OcpiConnectionError, OcpiResult, encode_token, join_url
from roaming.ocpi.models import TrafficLog
from tests.partners.factories import PartnerFactory, registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(db):
    return PartnerFactory()


@pytest.fixture
def make_client(partner):
    def _make(token="their-token", **kwargs):
        kwargs.setdefault("retries", 0)
        kwargs.setdefault("backoff", 0)
        kwargs.setdefault("partner_id", partner.pk)
        return OcpiClient(token, **kwargs)

    return _make


def lower_headers(recorded) -> dict:
    return {k.lower(): v for k, v in recorded.headers.items()}


# --- Unwrapping ----------------------------------------------------------------------------------------------------


def test_envelope_is_unwrapped(stub_server, make_client):
    stub_server.route("GET", "/ocpi/thing", (200, envelope({"id": "A", "price": 0.1}), {"X-Total-Count": "7"}))

    result = make_client().get(f"{stub_server.url}/ocpi/thing")

    assert result.http_status == 200
    assert result.status_code == 1000
    assert result.data == {"id": "A", "price": Decimal("0.1")}  # kept as Decimal, never a float
    assert result.timestamp == "2026-01-01T00:00:00Z"
    assert result.total_count == 7
    assert result.next_url is None


def test_ocpi_error_status_with_http_200_raises(stub_server, make_client):
    stub_server.route("GET", "/ocpi/thing", (200, envelope(status_code=2001, message="uid: too long")))

    with pytest.raises(OcpiClientError) as caught:
        make_client().get(f"{stub_server.url}/ocpi/thing")

    assert caught.value.http_status == 200
    assert caught.value.ocpi_status == 2001
    assert caught.value.transient is False
    assert "uid: too long" in caught.value.message
    assert caught.value.response.status_code == 2001


def test_ocpi_error_can_be_returned_instead_of_raised(stub_server, make_client):
    stub_server.route("GET", "/ocpi/thing", (404, envelope(status_code=2003, message="unknown location")))

    result = make_client().get(f"{stub_server.url}/ocpi/thing", raise_for_status=False)

    assert (result.http_status, result.status_code, result.status_message) == (404, 2003, "unknown location")


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"<html>hello</html>"), (200, b'{"data": []}'), (200, b""), (200, b"[1, 2]")],
    ids=["html", "no-status-code", "empty", "list"],
)
def test_a_body_that_is_not_an_envelope_is_an_error(stub_server, make_client, status, body):
    stub_server.route("GET", "/ocpi/thing", (status, body))

    with pytest.raises(OcpiClientError, match="without an OCPI envelope") as caught:
        make_client().get(f"{stub_server.url}/ocpi/thing")

    assert caught.value.http_status == 200
    assert caught.value.ocpi_status is None
    assert caught.value.transient is False


def test_an_http_error_without_envelope_does_not_echo_the_body(stub_server, make_client):
    # Issue 9: a proxy's internal page must not reach the admin or a credentials error message.
    stub_server.route("GET", "/ocpi/thing", (403, b"<h1>Forbidden by the firewall at 10.1.2.3</h1>"))

    with pytest.raises(OcpiClientError) as caught:
        make_client().get(f"{stub_server.url}/ocpi/thing")

    assert caught.value.http_status == 403
    assert caught.value.transient is False
    assert "10.1.2.3" not in caught.value.message
    assert "no OCPI envelope (application/json, 46 bytes; see the traffic log)" in caught.value.message
    assert "10.1.2.3" in TrafficLog.objects.get().response_body  # kept where staff can read it


# --- Retries -----------------------------------------------------------------------------------------------------


def test_get_is_retried_after_a_500(stub_server, make_client):
    stub_server.route(
        "GET", "/ocpi/thing", (500, envelope(status_code=3000, message="boom")), (200, envelope({"ok": True}))
    )

    result = make_client(retries=2).get(f"{stub_server.url}/ocpi/thing")

    assert result.data == {"ok": True}
    assert len(stub_server.calls("GET", "/ocpi/thing")) == 2
    assert TrafficLog.objects.filter(direction="OUT").count() == 1  # one exchange from the caller's point of view


def test_put_is_retried_after_a_503(stub_server, make_client):
    stub_server.route("PUT", "/ocpi/thing", (503, b"busy"), (200, envelope()))

    result = make_client(retries=2).put(f"{stub_server.url}/ocpi/thing", {"id": "A"})

    assert result.status_code == 1000
    assert [r.json() for r in stub_server.calls("PUT", "/ocpi/thing")] == [{"id": "A"}, {"id": "A"}]


def test_post_is_not_retried_after_a_500(stub_server, make_client):
    stub_server.route("POST", "/ocpi/thing", (500, envelope(status_code=3000, message="boom")), (200, envelope()))

    with pytest.raises(OcpiClientError) as caught:
        make_client(retries=3).post(f"{stub_server.url}/ocpi/thing", {"id": "A"})

    assert len(stub_server.calls("POST", "/ocpi/thing")) == 1
    assert caught.value.http_status == 500
    assert caught.value.ocpi_status == 3000
    assert caught.value.transient is True


def test_retries_give_up_with_the_last_answer(stub_server, make_client):
    stub_server.route("GET", "/ocpi/thing", (502, b"bad gateway"))

    with pytest.raises(OcpiClientError) as caught:
        make_client(retries=2).get(f"{stub_server.url}/ocpi/thing")

    assert len(stub_server.calls("GET", "/ocpi/thing")) == 3
    assert caught.value.http_status == 502
    assert caught.value.transient is True


def test_connection_refused_is_a_transient_connection_error(make_client, dead_url, partner):
    with pytest.raises(OcpiConnectionError) as caught:
        make_client(retries=1).get(f"{dead_url}/ocpi/versions")

    assert caught.value.transient is True
    assert caught.value.http_status is None
    # Staff read plain words; the connection library's text stays in the traffic log.
    host = dead_url.split("//", 1)[1].rstrip("/")
    assert caught.value.message.endswith(
        f"failed: connection refused by {host} (nothing listens there, or a firewall refuses)"
    )
    assert "Max retries" not in caught.value.message and "HTTPConnectionPool" not in caught.value.message
    log = TrafficLog.objects.get()
    assert log.direction == TrafficLog.Direction.OUTBOUND
    assert log.partner == partner
    assert log.http_status is None
    assert log.ocpi_status is None
    assert "ConnectionError" in log.error


def test_timeout_is_a_connection_error(stub_server, make_client):
    release = threading.Event()
    stub_server.route("GET", "/ocpi/slow", lambda request: (release.wait(5), (200, envelope()))[1])
    started = time.monotonic()
    try:
        with pytest.raises(OcpiConnectionError, match="(?i)timed? ?out"):
            make_client(timeout=0.2).get(f"{stub_server.url}/ocpi/slow")
    finally:
        release.set()

    assert time.monotonic() - started < 2
    assert "Timeout" in TrafficLog.objects.get().error


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (requests.exceptions.ConnectTimeout("x"), "p.example:8443 did not accept a connection in time (timeout)"),
        (requests.exceptions.ReadTimeout("x"), "p.example:8443 accepted the connection but did not answer in time"),
        (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED]"), "its certificate is not trusted"),
        (
            requests.exceptions.ConnectionError("NameResolutionError: Name or service not known"),
            "the host name p.example does not resolve (DNS)",
        ),
        (requests.exceptions.ConnectionError("Connection aborted, RemoteDisconnected"), "closed the connection"),
        (requests.exceptions.ConnectionError("something else"), "could not connect to p.example:8443"),
    ],
)
def test_transport_failures_are_described_in_plain_words(exc, words):
    from roaming.ocpi.client import describe_transport_error

    assert words in describe_transport_error(exc, "https://p.example:8443/ocpi/versions")


# --- Headers -------------------------------------------------------------------------------------------------------


def test_authorization_is_base64_by_default(stub_server, make_client):
    stub_server.route("GET", "/ocpi/versions", (200, envelope([])))

    make_client("example-token").get(f"{stub_server.url}/ocpi/versions")

    assert lower_headers(stub_server.requests[0])["authorization"] == "Token ZXhhbXBsZS10b2tlbg=="


def test_authorization_is_plain_when_the_partner_wants_it(stub_server, make_client):
    stub_server.route("GET", "/ocpi/versions", (200, envelope([])))

    make_client("example-token", token_encoding="plain").get(f"{stub_server.url}/ocpi/versions")

    assert lower_headers(stub_server.requests[0])["authorization"] == "Token example-token"


def test_encode_token():
    assert encode_token("example-token") == "Token " + base64.b64encode(b"example-token").decode()
    assert encode_token("example-token", "plain") == "Token example-token"


def test_request_and_correlation_ids_are_sent(stub_server, make_client):
    stub_server.route("GET", "/ocpi/versions", (200, envelope([])))
    client = make_client(correlation_id="corr-42")

    client.get(f"{stub_server.url}/ocpi/versions")
    client.get(f"{stub_server.url}/ocpi/versions")

    first, second = (lower_headers(r) for r in stub_server.requests)
    assert uuid.UUID(first["x-request-id"])
    assert first["x-request-id"] != second["x-request-id"]
    assert first["x-correlation-id"] == second["x-correlation-id"] == "corr-42"


def test_a_correlation_id_is_generated_when_not_given(stub_server, make_client):
    stub_server.route("GET", "/ocpi/versions", (200, envelope([])))

    make_client().get(f"{stub_server.url}/ocpi/versions")

    assert uuid.UUID(lower_headers(stub_server.requests[0])["x-correlation-id"])


def test_routing_headers_are_sent_for_functional_modules(stub_server, make_client):
    stub_server.route("GET", "/ocpi/locations", (200, envelope([])))
    client = make_client(own_party=("NL", "EXA"), partner_party=("DE", "MSP"))

    client.get(f"{stub_server.url}/ocpi/locations", module="locations")
    client.get(f"{stub_server.url}/ocpi/locations", module="locations", to_party=("BE", "ABC"))

    first, second = (lower_headers(r) for r in stub_server.requests)
    assert first["ocpi-from-country-code"] == "NL"
    assert first["ocpi-from-party-id"] == "EXA"
    assert first["ocpi-to-country-code"] == "DE"
    assert first["ocpi-to-party-id"] == "MSP"
    assert (second["ocpi-to-country-code"], second["ocpi-to-party-id"]) == ("BE", "ABC")


@pytest.mark.parametrize("module", ["versions", "credentials", "hubclientinfo", ""])
def test_no_routing_headers_for_configuration_modules(stub_server, make_client, module):
    stub_server.route("GET", "/ocpi/x", (200, envelope({})))

    make_client(own_party=("NL", "EXA"), partner_party=("DE", "MSP")).get(f"{stub_server.url}/ocpi/x", module=module)

    assert not [h for h in lower_headers(stub_server.requests[0]) if h.startswith("ocpi-")]


def test_json_body_and_params_are_sent(stub_server, make_client):
    stub_server.route("PATCH", "/ocpi/thing", (200, envelope()))

    make_client().patch(f"{stub_server.url}/ocpi/thing", {"kwh": 1.5, "id": "A"}, params={"type": "RFID"})

    recorded = stub_server.requests[0]
    assert recorded.json() == {"kwh": 1.5, "id": "A"}
    assert parse_qs(recorded.query) == {"type": ["RFID"]}
    assert lower_headers(recorded)["content-type"] == "application/json"


# --- Pagination --------------------------------------------------------------------------------------------------


def paged(stub_url: str, pages: list[list], path: str = "/ocpi/list"):
    """A route serving ``pages`` by ``offset``, with Link headers like a 2.2.1 sender."""

    def respond(request):
        query = parse_qs(request.query)
        offset = int(query.get("offset", ["0"])[0])
        index = offset // 2
        headers = {"X-Total-Count": str(sum(map(len, pages))), "X-Limit": "2"}
        if index + 1 < len(pages):
            headers["Link"] = (
                f'<{stub_url}{path}?offset={offset + 2}&limit=2&date_from=2024-01-01T00:00:00Z>; rel="next"'
            )
        return 200, envelope(pages[index]), headers

    return respond


def test_iterate_follows_links_across_pages(stub_server, make_client):
    stub_server.route("GET", "/ocpi/list", paged(stub_server.url, [[1, 2], [3, 4], [5]]))

    items = list(make_client().iterate(f"{stub_server.url}/ocpi/list", params={"date_from": "2024-01-01T00:00:00Z"}))

    assert items == [1, 2, 3, 4, 5]
    queries = [parse_qs(r.query) for r in stub_server.calls("GET", "/ocpi/list")]
    assert [q.get("offset") for q in queries] == [None, ["2"], ["4"]]
    assert all(q["date_from"] == ["2024-01-01T00:00:00Z"] for q in queries)
    assert TrafficLog.objects.filter(direction="OUT").count() == 3


def test_iter_pages_exposes_headers(stub_server, make_client):
    stub_server.route("GET", "/ocpi/list", paged(stub_server.url, [[1, 2], [3]]))

    pages = list(make_client().iter_pages(f"{stub_server.url}/ocpi/list"))

    assert [p.total_count for p in pages] == [3, 3]
    assert pages[0].next_url.startswith(f"{stub_server.url}/ocpi/list?offset=2")
    assert pages[1].next_url is None


def test_a_link_loop_is_detected(stub_server, make_client):
    loop = f'<{stub_server.url}/ocpi/list?offset=2>; rel="next"'
    stub_server.route("GET", "/ocpi/list", (200, envelope([1, 2]), {"Link": loop}))

    with pytest.raises(OcpiClientError, match="pagination: .* already fetched"):
        list(islice(make_client().iterate(f"{stub_server.url}/ocpi/list"), 50))  # bounded if undetected

    assert len(stub_server.calls("GET", "/ocpi/list")) == 2


def test_a_link_back_to_the_first_page_is_a_loop(stub_server, make_client):
    first = f"{stub_server.url}/ocpi/list"

    def respond(request):
        if request.query:
            return 200, envelope([3, 4]), {"Link": f'<{first}>; rel="next"'}
        return 200, envelope([1, 2]), {"Link": f'<{first}?offset=2>; rel="next"'}

    stub_server.route("GET", "/ocpi/list", respond)
    seen = []

    with pytest.raises(OcpiClientError, match="pagination: .* already fetched"):
        for item in islice(make_client().iterate(first), 50):  # bounded if undetected
            seen.append(item)

    assert seen == [1, 2, 3, 4]  # the first page is not yielded twice


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ('<https://p.example/l?offset=2>; rel="next"', "https://p.example/l?offset=2"),
        ("<https://p.example/l?offset=2>;rel=next", "https://p.example/l?offset=2"),
        ('<https://p.example/l?o=0>; rel="prev", <https://p.example/l?o=4>; rel="next"', "https://p.example/l?o=4"),
        ('<https://p.example/l?o=0>; rel="prev"', None),
        ("", None),
    ],
)
def test_next_url_parsing(link, expected):
    result = OcpiResult(http_status=200, status_code=1000, status_message="", data=[], headers={"Link": link})

    assert result.next_url == expected


def test_join_url():
    assert join_url("https://p.example/ocpi/2.2.1/locations/", "/NL", "EXA/", "LOC1") == (
        "https://p.example/ocpi/2.2.1/locations/NL/EXA/LOC1"
    )


# --- Traffic log ---------------------------------------------------------------------------------------------------


def test_every_call_is_logged(stub_server, make_client, partner, settings):
    settings.OCPI_TRAFFIC_LOG_BODY_LIMIT = 40
    big = {"items": ["x" * 30] * 5}
    stub_server.route("PUT", "/ocpi/2.2.1/locations/NL/EXA/L1", (200, envelope(big, message="stored")))
    url = f"{stub_server.url}/ocpi/2.2.1/locations/NL/EXA/L1"

    make_client("secret-token").put(url, {"name": "y" * 100}, module="locations")

    log = TrafficLog.objects.get()
    sent = lower_headers(stub_server.requests[0])
    assert log.direction == TrafficLog.Direction.OUTBOUND
    assert log.partner == partner
    assert log.module == "locations"
    assert log.method == "PUT"
    assert log.url == url
    assert log.http_status == 200
    assert log.ocpi_status == 1000
    assert log.status_message == "stored"
    assert log.request_id == sent["x-request-id"]
    assert log.correlation_id == sent["x-correlation-id"]
    assert log.request_headers["Authorization"] == "<redacted>"
    assert "secret" not in json.dumps(log.request_headers)
    assert log.request_body.startswith('{"name":"yyy')
    assert log.request_body.endswith("more bytes cut]")
    assert len(log.request_body) < 100
    assert log.response_body.endswith("more bytes cut]")
    assert log.succeeded


def test_failed_calls_are_logged_with_their_status(stub_server, make_client):
    stub_server.route("GET", "/ocpi/thing", (200, envelope(status_code=2001, message="bad")))

    with pytest.raises(OcpiClientError):
        make_client().get(f"{stub_server.url}/ocpi/thing", params={"a": "1"})

    log = TrafficLog.objects.get()
    assert (log.http_status, log.ocpi_status, log.status_message) == (200, 2001, "bad")
    assert log.url.endswith("/ocpi/thing?a=1")
    assert not log.succeeded


def test_traffic_log_can_be_switched_off(stub_server, make_client, settings):
    settings.OCPI_TRAFFIC_LOG_ENABLED = False
    stub_server.route("GET", "/ocpi/thing", (200, envelope()))

    make_client().get(f"{stub_server.url}/ocpi/thing")

    assert not TrafficLog.objects.exists()


# --- Against our own app ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_client_against_our_own_app(live_server, settings):
    partner, token = registered_partner_with_token()
    client = OcpiClient(token, partner_id=partner.pk, retries=0)
    stranger = OcpiClient("not-a-token", retries=0)
    try:
        result = client.get(f"{live_server.url}/ocpi/versions", module="versions")
        # not raised: an exception's traceback would keep the response's socket, so a live-server thread and its
        # database connection, alive past the test
        refused = stranger.get(f"{live_server.url}/ocpi/versions", raise_for_status=False)
    finally:
        client.session.close()
        stranger.session.close()

    assert result.status_code == 1000
    assert result.data == [{"version": "2.2.1", "url": f"{settings.OCPI_BASE_URL}/ocpi/2.2.1"}]
    outbound = TrafficLog.objects.filter(direction=TrafficLog.Direction.OUTBOUND).order_by("pk").first()
    inbound = TrafficLog.objects.get(direction=TrafficLog.Direction.INBOUND, request_id=outbound.request_id)
    assert result.headers["X-Request-ID"] == outbound.request_id
    assert inbound.partner == partner
    assert inbound.module == "versions"
    assert (inbound.http_status, inbound.ocpi_status) == (200, 1000)
    assert (refused.http_status, refused.status_code) == (401, 2000)
    assert refused.headers["WWW-Authenticate"] == "Token"
