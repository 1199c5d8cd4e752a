"""Pagination of list endpoints (transport_and_format.asciidoc, Pagination), through a test list view over partner
events whose ``created_at`` plays ``last_updated``."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from roaming.ocpi.exceptions import InvalidParameters
from roaming.ocpi.pagination import page_params, paginate
from roaming.partners.models import PartnerEvent
from tests.conftest import auth

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]

BASE = datetime(2024, 1, 1, tzinfo=UTC)
URL = "/ocpi/test/events"


PUBLIC_BASE = "https://roaming.example.com"


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.OCPI_PAGE_LIMIT_MAX = 5
    settings.OCPI_BASE_URL = PUBLIC_BASE  # partners reach us over TLS, whatever host the request came in on


@pytest.fixture
def events(registered_partner):
    """Twelve events e0..e11, created one minute apart from BASE, inserted out of time order."""
    partner, _ = registered_partner
    for i in range(12):
        event = PartnerEvent.objects.create(partner=partner, action="page", message=f"e{i}")
        PartnerEvent.objects.filter(pk=event.pk).update(created_at=BASE + timedelta(minutes=i))
    return [f"e{i}" for i in range(12)]


@pytest.fixture
def get(client, registered_partner):
    _, token = registered_partner

    def _get(params=None, path=URL):
        return client.get(path, params or {}, **auth(token))

    return _get


def link_of(response) -> tuple[str, dict] | None:
    """The next-page URL split into (absolute path, query dict), or None when there is no Link."""
    if "Link" not in response:
        return None
    value = response["Link"]
    assert value.startswith("<") and value.endswith('>; rel="next"')
    parts = urlsplit(value[1:].split(">;")[0])
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_BASE  # built from OCPI_BASE_URL, not the request's host
    return parts.path, parse_qs(parts.query)


def crawl(get, params=None) -> list[str]:
    """Follow Link headers from the first page to the last; return every object in order."""
    seen, response = [], get(params)
    for _ in range(20):
        body = response.json()
        assert body["status_code"] == 1000
        seen.extend(body["data"])
        link = link_of(response)
        if link is None:
            return seen
        path, query = link
        response = get({k: v[0] if len(v) == 1 else v for k, v in query.items()}, path)
    raise AssertionError("pagination did not end")


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_first_page_headers(get, events):
    response = get()

    assert response.json()["data"] == events[:5]
    assert response["X-Total-Count"] == "12"
    assert response["X-Limit"] == "5"
    assert link_of(response) == (URL, {"offset": ["5"], "limit": ["5"]})


def test_following_links_yields_every_object_once(get, events):
    assert crawl(get) == events


def test_last_page_has_no_link(get, events):
    response = get({"offset": 10})

    assert response.json()["data"] == events[10:]
    assert response["X-Total-Count"] == "12"
    assert "Link" not in response


def test_page_ending_exactly_at_the_end_has_no_link(get, events):
    response = get({"offset": 7})

    assert response.json()["data"] == events[7:]
    assert "Link" not in response


@pytest.mark.parametrize("offset", [12, 20, 10_000])
def test_offset_past_the_end_is_an_empty_list_without_link(get, events, offset):
    response = get({"offset": offset})

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response["X-Total-Count"] == "12"
    assert response["X-Limit"] == "5"
    assert "Link" not in response


def test_empty_collection(get, registered_partner):
    response = get()

    assert response.json()["data"] == []
    assert response["X-Total-Count"] == "0"
    assert "Link" not in response


def test_limit_above_the_maximum_is_clamped(get, events):
    response = get({"limit": 50})

    assert response.json()["data"] == events[:5]
    assert response["X-Limit"] == "5"
    assert link_of(response)[1]["limit"] == ["5"]  # the effective limit, not the asked one


def test_smaller_limit_is_honoured_and_repeated(get, events):
    response = get({"limit": 2, "offset": 3})

    assert response.json()["data"] == events[3:5]
    assert response["X-Limit"] == "5"  # always the server maximum
    assert link_of(response)[1] == {"offset": ["5"], "limit": ["2"]}


def test_limit_zero_returns_nothing_and_no_link(get, events):
    response = get({"limit": 0})

    assert response.json()["data"] == []
    assert response["X-Total-Count"] == "12"
    assert "Link" not in response


def test_default_limit_is_the_configured_default(get, events, settings):
    settings.OCPI_PAGE_LIMIT_DEFAULT = 3

    response = get()

    assert response.json()["data"] == events[:3]
    assert link_of(response)[1]["limit"] == ["3"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"offset": -1}, "offset: must not be negative"),
        ({"offset": "abc"}, "offset: 'abc' is not an integer"),
        ({"offset": "1.5"}, "offset: '1.5' is not an integer"),
        ({"limit": -5}, "limit: must not be negative"),
        ({"limit": "ten"}, "limit: 'ten' is not an integer"),
    ],
)
def test_invalid_offset_or_limit_is_2001(get, events, params, message):
    response = get(params)

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"] == message
    assert "data" not in body


def test_empty_offset_and_limit_mean_the_defaults(get, events):
    response = get({"offset": "", "limit": ""})

    assert response.json()["data"] == events[:5]


def test_date_from_is_inclusive(get, events):
    response = get({"date_from": iso(BASE + timedelta(minutes=3))})

    assert response.json()["data"] == events[3:8]
    assert response["X-Total-Count"] == "9"


def test_date_to_is_exclusive(get, events):
    response = get({"date_to": iso(BASE + timedelta(minutes=3))})

    assert response.json()["data"] == events[:3]
    assert response["X-Total-Count"] == "3"
    assert "Link" not in response


def test_date_window_is_repeated_in_the_link(get, events):
    date_from, date_to = iso(BASE + timedelta(minutes=1)), iso(BASE + timedelta(minutes=10))

    response = get({"date_from": date_from, "date_to": date_to})

    assert response.json()["data"] == events[1:6]
    assert response["X-Total-Count"] == "9"
    assert link_of(response)[1] == {
        "offset": ["5"],
        "limit": ["5"],
        "date_from": [date_from],
        "date_to": [date_to],
    }
    assert crawl(get, {"date_from": date_from, "date_to": date_to}) == events[1:10]


def test_other_filters_are_repeated_in_the_link(get, events):
    response = get({"type": "RFID", "limit": 4})

    assert link_of(response)[1] == {"offset": ["4"], "limit": ["4"], "type": ["RFID"]}


def test_a_filter_given_twice_is_repeated_twice(get, events):
    response = get({"type": ["RFID", "APP_USER"]})

    assert link_of(response)[1]["type"] == ["RFID", "APP_USER"]


def test_fractional_date_window_is_kept_exactly_across_pages(get, events):
    # e2 was created at 00:02:00.000, before the window opens: it must not appear on a later page either
    date_from = "2024-01-01T00:02:00.500Z"

    first = get({"date_from": date_from})

    assert first["X-Total-Count"] == "9"
    assert link_of(first)[1]["date_from"] == ["2024-01-01T00:02:00.5Z"]
    assert crawl(get, {"date_from": date_from}) == events[3:]


@pytest.mark.parametrize("param", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", "2024-01-01", "1704067200"])
def test_invalid_date_is_2001_naming_the_parameter(get, events, param, value):
    response = get({param: value})

    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == 2001
    assert body["status_message"].startswith(f"{param}: ")
    assert value in body["status_message"]


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:03:00Z",
        "2024-01-01T00:03:00+00:00",
        "2024-01-01T00:03:00",
        "2024-01-01T02:03:00+02:00",
        "2024-01-01T00:03:00.000Z",
        "2024-01-01t00:03:00z".upper(),
    ],
)
def test_lenient_date_forms_are_understood(get, events, value):
    response = get({"date_from": value})

    assert response.json()["status_code"] == 1000
    assert response["X-Total-Count"] == "9"
    assert link_of(response)[1]["date_from"] == ["2024-01-01T00:03:00Z"]  # and re-emitted strictly


def _drf_request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/ocpi/x?{query}"))


def test_date_from_required_is_enforced():
    with pytest.raises(InvalidParameters, match="date_from: this parameter is required"):
        page_params(_drf_request("limit=1"), date_from_required=True)


def test_page_params_per_view_maximum():
    params = page_params(_drf_request("limit=500&offset=2"), max_limit=50)

    assert (params.offset, params.limit, params.max_limit) == (2, 50, 50)


def test_paginate_orders_by_primary_key_whatever_the_queryset_order(events):
    page = paginate(_drf_request("limit=3"), PartnerEvent.objects.filter(action="page").order_by("-created_at"))

    assert [e.message for e in page.items] == events[:3]
    assert page.headers["X-Total-Count"] == "12"
