"""Partner quirks the outbound client tolerates by itself, each against a stub partner that behaves that way (issue
10), and the URL safety rules (issue 9: SSRF, no echoed bodies)."""

import time
from urllib.parse import parse_qs

import pytest

from roaming.ocpi.client import OcpiClient, OcpiClientError
from roaming.ocpi.models import TrafficLog
from tests.partners.factories import PartnerFactory
from tests.stub_server import StubServer, envelope

pytestmark = pytest.mark.django_db

ITEMS = list(range(1, 8))  # 7 objects


@pytest.fixture
def client(db):
    return OcpiClient("their-token", partner_id=PartnerFactory().pk, retries=0, backoff=0)


@pytest.fixture
def other_host():
    server = StubServer()
    server.start()
    yield server
    server.stop()


def auth_of(recorded) -> str:
    return {k.lower(): v for k, v in recorded.headers.items()}.get("authorization")


# --- Redirects -----------------------------------------------------------------------------------------------------


def test_a_307_to_the_trailing_slash_keeps_method_body_and_token(stub_server, client):
    # FastAPI answers /credentials with 307 to /credentials/ (py-ocpi, many others).
    stub_server.route("POST", "/ocpi/credentials", (307, b"", {"Location": f"{stub_server.url}/ocpi/credentials/"}))
    stub_server.route("POST", "/ocpi/credentials/", (200, envelope({"token": "C"})))

    result = client.post(f"{stub_server.url}/ocpi/credentials", {"token": "B"}, module="credentials")

    assert result.data == {"token": "C"}
    first, second = stub_server.calls("POST", "/ocpi/credentials"), stub_server.calls("POST", "/ocpi/credentials/")
    assert len(first) == len(second) == 1
    assert second[0].json() == {"token": "B"}
    assert auth_of(second[0]) == auth_of(first[0]) == "Token dGhlaXItdG9rZW4="
    assert TrafficLog.objects.filter(direction="OUT").count() == 2  # both hops are in the traffic log


def test_a_relative_308_is_followed_for_put_keeping_the_query(stub_server, client):
    stub_server.route("PUT", "/ocpi/loc/NL/EXA/1", (308, b"", {"Location": "/ocpi/loc/NL/EXA/1/?x=1"}))
    stub_server.route("PUT", "/ocpi/loc/NL/EXA/1/", (200, envelope()))

    client.put(f"{stub_server.url}/ocpi/loc/NL/EXA/1", {"id": "1"})

    (followed,) = stub_server.calls("PUT", "/ocpi/loc/NL/EXA/1/")
    assert (followed.query, followed.json()) == ("x=1", {"id": "1"})


@pytest.mark.parametrize("status", [301, 302, 303])
def test_get_follows_301_302_303_on_the_same_origin(stub_server, client, status):
    stub_server.route("GET", "/ocpi/versions", (status, b"", {"Location": f"{stub_server.url}/ocpi/versions/"}))
    stub_server.route("GET", "/ocpi/versions/", (200, envelope([{"version": "2.2.1", "url": "x"}])))

    assert client.get(f"{stub_server.url}/ocpi/versions").data == [{"version": "2.2.1", "url": "x"}]


def test_post_does_not_follow_a_302(stub_server, client):
    # 302 may turn a POST into a GET: never for a credentials POST.
    stub_server.route("POST", "/ocpi/credentials", (302, b"", {"Location": f"{stub_server.url}/ocpi/credentials/"}))

    with pytest.raises(OcpiClientError) as caught:
        client.post(f"{stub_server.url}/ocpi/credentials", {"token": "B"})

    assert caught.value.http_status == 302
    assert stub_server.calls("POST", "/ocpi/credentials/") == []


@pytest.mark.parametrize("target", ["other-host", "other-scheme", "other-port"])
def test_a_redirect_to_another_origin_is_refused_and_logged(stub_server, other_host, client, caplog, target):
    port = stub_server.url.rsplit(":", 1)[1]
    location = {
        "other-host": f"{other_host.url}/steal",
        "other-scheme": f"https://127.0.0.1:{port}/ocpi/credentials/",
        "other-port": f"http://127.0.0.1:{other_host.url.rsplit(':', 1)[1]}/ocpi/credentials/",
    }[target]
    stub_server.route("POST", "/ocpi/credentials", (307, b"", {"Location": location}))
    other_host.route("POST", "/steal", (200, envelope()))

    with pytest.raises(OcpiClientError, match="redirecting to another origin") as caught:
        client.post(f"{stub_server.url}/ocpi/credentials", {"token": "B"})

    assert caught.value.http_status == 307
    assert other_host.requests == []  # the token never left
    assert "redirect to another origin" in caplog.text


def test_a_redirect_loop_ends(stub_server, client):
    stub_server.route("GET", "/ocpi/loop", (307, b"", {"Location": f"{stub_server.url}/ocpi/loop"}))

    with pytest.raises(OcpiClientError) as caught:
        client.get(f"{stub_server.url}/ocpi/loop")

    assert caught.value.http_status == 307
    assert len(stub_server.calls("GET", "/ocpi/loop")) == 6  # the call and five redirects


# --- Errors that are not OCPI envelopes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, {"detail": "Not authenticated"}, "HTTP 403, OCPI None: Not authenticated"),
        (404, {"detail": "Not Found"}, "HTTP 404, OCPI None: Not Found"),
        (
            422,
            {"detail": [{"loc": ["body", "roles", 0, "role"], "msg": "value is not a valid enumeration member"}]},
            "HTTP 422, OCPI None: roles.0.role: value is not a valid enumeration member",
        ),
    ],
    ids=["403", "404", "422"],
)
def test_fastapi_detail_errors_are_reported_with_their_text(stub_server, client, status, body, expected):
    stub_server.route("POST", "/ocpi/credentials/", (status, body))

    with pytest.raises(OcpiClientError) as caught:
        client.post(f"{stub_server.url}/ocpi/credentials/", {"token": "B"})

    assert caught.value.message.endswith(expected)
    assert caught.value.http_status == status
    assert caught.value.transient is False


@pytest.mark.parametrize("code", [2000, 2001, 3000, 3001, 0])
def test_http_200_with_an_ocpi_error_status_is_a_failure(stub_server, client, code):
    stub_server.route("GET", "/ocpi/thing", (200, envelope(data=[], status_code=code, message="nope")))

    with pytest.raises(OcpiClientError) as caught:
        client.get(f"{stub_server.url}/ocpi/thing")

    assert (caught.value.http_status, caught.value.ocpi_status) == (200, code)


def test_a_status_code_sent_as_a_string_is_read(stub_server, client):
    stub_server.route("GET", "/ocpi/thing", (200, {"status_code": "1000", "data": {"id": "A"}, "timestamp": "x"}))

    assert client.get(f"{stub_server.url}/ocpi/thing").status_code == 1000


def test_a_single_object_wrapped_in_a_one_element_list_is_unwrapped(stub_server, client):
    stub_server.route("GET", "/ocpi/loc/1", (200, envelope([{"id": "1"}])))
    stub_server.route("GET", "/ocpi/loc/2", (200, envelope({"id": "2"})))
    stub_server.route("GET", "/ocpi/loc", (200, envelope([{"id": "1"}, {"id": "2"}])))

    assert client.get(f"{stub_server.url}/ocpi/loc/1").object == {"id": "1"}
    assert client.get(f"{stub_server.url}/ocpi/loc/2").object == {"id": "2"}
    assert client.get(f"{stub_server.url}/ocpi/loc").object == [{"id": "1"}, {"id": "2"}]


# --- Paging --------------------------------------------------------------------------------------------------------


def serve_list(stub, link, *, total=True, page_size=3):
    """Serve ITEMS honouring offset (never limit: some senders cap pages) with the Link ``link(offset, query)``."""

    def handle(request):
        query = {k: v[0] for k, v in parse_qs(request.query).items()}
        offset = int(query.get("offset", 0))
        page = ITEMS[offset : offset + page_size]
        headers = {"X-Limit": str(page_size)}
        if total:
            headers["X-Total-Count"] = str(len(ITEMS))
        value = link(offset + len(page), query)
        if value is not None:
            headers["Link"] = value
        return 200, envelope(page), headers

    stub.route("GET", "/ocpi/list", handle)


def offsets_asked(stub):
    return [parse_qs(r.query).get("offset", ["0"])[0] for r in stub.calls("GET", "/ocpi/list")]


def test_missing_link_falls_back_to_offset_and_total(stub_server, client):
    serve_list(stub_server, lambda nxt, q: None)

    assert list(client.iterate(f"{stub_server.url}/ocpi/list", params={"limit": 3})) == ITEMS
    assert offsets_asked(stub_server) == ["0", "3", "6"]


def test_empty_link_on_the_last_page_ends_the_list(stub_server, client):
    link = f'<{stub_server.url}/ocpi/list?offset={{}}>; rel="next"'
    serve_list(stub_server, lambda nxt, q: "" if nxt >= 7 else link.format(nxt))

    assert list(client.iterate(f"{stub_server.url}/ocpi/list")) == ITEMS
    assert offsets_asked(stub_server) == ["0", "3", "6"]


def test_unparsable_link_falls_back(stub_server, client):
    serve_list(stub_server, lambda nxt, q: "<page 2 please>; rel=next")

    assert list(client.iterate(f"{stub_server.url}/ocpi/list")) == ITEMS
    assert offsets_asked(stub_server) == ["0", "3", "6"]


def test_link_to_another_host_is_not_followed(stub_server, other_host, client):
    serve_list(stub_server, lambda nxt, q: f'<{other_host.url}/ocpi/list?offset={nxt}>; rel="next"')

    assert list(client.iterate(f"{stub_server.url}/ocpi/list")) == ITEMS
    assert other_host.requests == []
    assert offsets_asked(stub_server) == ["0", "3", "6"]


def test_link_with_https_and_mangled_filters_like_py_ocpi_falls_back(stub_server, client):
    # py-ocpi: https://{OCPI_HOST}/ocpi/cpo/..., date_from=None, date_to frozen at its start-up.
    host = stub_server.url.split("://")[1]
    serve_list(
        stub_server,
        lambda nxt, q: f'<https://{host}/ocpi/cpo/2.2.1/locations/?date_from=None&offset={nxt}&limit=3>; rel="next"',
    )

    got = list(client.iterate(f"{stub_server.url}/ocpi/list", params={"date_from": "2024-01-01T00:00:00Z"}))

    assert got == ITEMS
    queries = [parse_qs(r.query) for r in stub_server.calls("GET", "/ocpi/list")]
    assert all(q["date_from"] == ["2024-01-01T00:00:00Z"] for q in queries)  # our filter kept on every page


def test_link_dropping_a_filter_falls_back(stub_server, client):
    serve_list(stub_server, lambda nxt, q: f'<{stub_server.url}/ocpi/list?offset={nxt}>; rel="next"')

    list(client.iterate(f"{stub_server.url}/ocpi/list", params={"date_from": "2024-01-01T00:00:00Z"}))

    queries = [parse_qs(r.query) for r in stub_server.calls("GET", "/ocpi/list")]
    assert len(queries) == 3
    assert all(q["date_from"] == ["2024-01-01T00:00:00Z"] for q in queries)


def test_link_with_an_equivalent_date_filter_is_followed(stub_server, client):
    link = '<{url}/ocpi/list?date_from=2024-01-01T00%3A00%3A00%2B00%3A00&offset={nxt}&marker=x>; rel="next"'
    serve_list(stub_server, lambda nxt, q: link.format(url=stub_server.url, nxt=nxt))

    list(client.iterate(f"{stub_server.url}/ocpi/list", params={"date_from": "2024-01-01T00:00:00Z"}))

    assert [("marker" in parse_qs(r.query)) for r in stub_server.calls("GET", "/ocpi/list")] == [False, True, True]


def test_link_skipping_objects_is_not_followed(stub_server, client):
    serve_list(stub_server, lambda nxt, q: f'<{stub_server.url}/ocpi/list?offset={nxt + 1}>; rel="next"')

    assert list(client.iterate(f"{stub_server.url}/ocpi/list")) == ITEMS  # none skipped
    assert offsets_asked(stub_server) == ["0", "3", "6"]


def test_a_sender_ignoring_offset_never_loops(stub_server, client):
    stub_server.route("GET", "/ocpi/list", (200, envelope([1, 2, 3]), {"X-Total-Count": "7"}))

    got = list(client.iterate(f"{stub_server.url}/ocpi/list"))

    assert len(stub_server.calls("GET", "/ocpi/list")) == 3  # offsets 0, 3, 6, then the total is reached
    assert len(got) == 9  # what it sent; the receiving module's upsert makes repeats harmless


def test_an_unusable_link_without_total_fails_rather_than_guess(stub_server, client):
    serve_list(stub_server, lambda nxt, q: '<nonsense>; rel="next"', total=False)

    with pytest.raises(OcpiClientError, match="unusable"):
        list(client.iterate(f"{stub_server.url}/ocpi/list"))

    assert len(stub_server.calls("GET", "/ocpi/list")) == 1


def test_each_page_tells_the_url_fetched_next(stub_server, client):
    serve_list(stub_server, lambda nxt, q: None)

    pages = list(client.iter_pages(f"{stub_server.url}/ocpi/list", params={"limit": 3}))

    assert [p.following for p in pages] == [
        f"{stub_server.url}/ocpi/list?offset=3&limit=3",
        f"{stub_server.url}/ocpi/list?offset=6&limit=3",
        None,
    ]


def test_the_next_page_is_asked_while_the_caller_handles_this_one(stub_server, client):
    serve_list(stub_server, lambda nxt, q: None)
    pages = client.iter_pages(f"{stub_server.url}/ocpi/list", params={"limit": 3})

    first = next(pages)
    deadline = time.monotonic() + 10
    while len(stub_server.calls("GET", "/ocpi/list")) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # the caller is busy with the first page: the second is on its way meanwhile

    assert offsets_asked(stub_server) == ["0", "3"]
    assert [first.data, *(page.data for page in pages)] == [ITEMS[0:3], ITEMS[3:6], ITEMS[6:]]
    assert offsets_asked(stub_server) == ["0", "3", "6"]
    # One traffic log entry per page, written in page order by the caller's thread, as when asked one by one.
    logged = TrafficLog.objects.filter(direction="OUT").order_by("pk")
    urls = logged.values_list("url", flat=True)
    assert [parse_qs(url.partition("?")[2]).get("offset", ["0"])[0] for url in urls] == ["0", "3", "6"]
    assert set(logged.values_list("http_status", flat=True)) == {200}


def test_a_page_asked_ahead_is_logged_when_the_caller_stops(stub_server, client):
    serve_list(stub_server, lambda nxt, q: None)
    pages = client.iter_pages(f"{stub_server.url}/ocpi/list", params={"limit": 3})

    assert next(pages).data == ITEMS[0:3]
    pages.close()  # e.g. the ingest of the first page failed

    assert offsets_asked(stub_server) == ["0", "3"]
    assert TrafficLog.objects.filter(direction="OUT").count() == 2


def test_a_failed_page_asked_ahead_fails_when_it_is_reached(stub_server, client):
    calls = []

    def handle(request):
        calls.append(request.query)
        if len(calls) == 1:
            return 200, envelope([1, 2, 3]), {"X-Total-Count": "7", "X-Limit": "3"}
        return 503, b"busy", {}

    stub_server.route("GET", "/ocpi/list", handle)
    pages = client.iter_pages(f"{stub_server.url}/ocpi/list", params={"limit": 3})

    assert next(pages).data == [1, 2, 3]
    with pytest.raises(OcpiClientError, match="HTTP 503"):
        next(pages)
    assert list(TrafficLog.objects.filter(direction="OUT").order_by("pk").values_list("http_status", flat=True)) == [
        200,
        503,
    ]


def test_iteration_resumes_from_a_saved_url(stub_server, client):
    serve_list(stub_server, lambda nxt, q: None)

    assert list(client.iterate(f"{stub_server.url}/ocpi/list?offset=3&limit=3")) == ITEMS[3:]


# --- URL safety (issue 9) ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/x", "http:///x"])
def test_only_http_and_https_are_fetched(client, url):
    with pytest.raises(OcpiClientError, match="refused"):
        client.get(url)


def test_private_addresses_are_refused_when_the_setting_is_on(stub_server, client, settings):
    settings.OCPI_REFUSE_PRIVATE_ADDRESSES = True
    stub_server.route("GET", "/ocpi/versions", (200, envelope([])))

    by_name = stub_server.url.replace("127.0.0.1", "localhost")
    for url in (f"{stub_server.url}/ocpi/versions", f"{by_name}/ocpi/versions"):
        with pytest.raises(OcpiClientError, match="private or loopback address"):
            client.get(url)

    assert stub_server.requests == []


@pytest.mark.parametrize("host", ["10.0.0.8", "192.168.1.1", "169.254.169.254", "[::1]", "0.0.0.0"])
def test_private_literal_addresses_are_refused(client, settings, host):
    settings.OCPI_REFUSE_PRIVATE_ADDRESSES = True

    with pytest.raises(OcpiClientError, match="private or loopback address"):
        client.get(f"http://{host}/ocpi/versions")


def test_paging_headers_are_read_whatever_their_case(stub_server, client):
    # uvicorn (py-ocpi) sends lower-case header names.
    stub_server.route("GET", "/ocpi/list", (200, envelope([1]), {"x-total-count": "9", "link": ""}))

    page = next(client.iter_pages(f"{stub_server.url}/ocpi/list"))

    assert page.total_count == 9
    assert page.following == f"{stub_server.url}/ocpi/list?offset=1"


def test_an_odd_envelope_timestamp_changes_nothing(stub_server, client):
    # py-ocpi stamps every envelope with its start-up time, as "2026-01-01 00:00:00.123456+00:00".
    stub_server.route("GET", "/ocpi/thing", (200, {"status_code": 1000, "data": [1], "timestamp": "2015-06-29 20:39"}))

    result = client.get(f"{stub_server.url}/ocpi/thing")

    assert (result.data, result.timestamp) == ([1], "2015-06-29 20:39")  # kept as sent, never used for logic
