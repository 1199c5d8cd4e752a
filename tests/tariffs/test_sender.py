"""The CPO Sender interface of tariffs (mod_tariffs.asciidoc, Sender Interface): ``GET /ocpi/2.2.1/cpo/tariffs``,
our own tariffs only, paginated with date filters."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import auth
from tests.tariffs.factories import ReceivedTariffFactory, TariffFactory

pytestmark = pytest.mark.django_db

URL = "/ocpi/2.2.1/cpo/tariffs"
DAY = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture
def tariffs():
    """Five own tariffs updated on consecutive days, and one partner tariff that must never be served."""
    own = [TariffFactory(tariff_id=f"T{i}", last_updated=DAY + timedelta(days=i)) for i in range(5)]
    ReceivedTariffFactory(tariff_id="THEIRS", last_updated=DAY)
    return own


def test_lists_our_own_tariffs_only(client, registered_partner, tariffs):
    _, token = registered_partner
    response = client.get(URL, **auth(token))
    body = response.json()
    assert response.status_code == 200
    assert body["status_code"] == 1000
    assert [t["id"] for t in body["data"]] == ["T0", "T1", "T2", "T3", "T4"]
    assert {(t["country_code"], t["party_id"]) for t in body["data"]} == {("NL", "EXA")}
    assert response["X-Total-Count"] == "5"
    assert body["data"][0]["elements"][0]["price_components"][0]["price"] == 0.25


def test_pagination_headers_and_next_link(client, registered_partner, tariffs):
    _, token = registered_partner
    first = client.get(URL, {"limit": 2}, **auth(token))
    assert [t["id"] for t in first.json()["data"]] == ["T0", "T1"]
    assert first["X-Total-Count"] == "5"
    assert first["X-Limit"] == "1000"
    assert 'rel="next"' in first["Link"]
    assert "offset=2" in first["Link"] and "limit=2" in first["Link"]

    last = client.get(URL, {"offset": 4, "limit": 2}, **auth(token))
    assert [t["id"] for t in last.json()["data"]] == ["T4"]
    assert not last.has_header("Link")


def test_date_from_inclusive_date_to_exclusive(client, registered_partner, tariffs):
    _, token = registered_partner
    response = client.get(URL, {"date_from": "2024-03-02T00:00:00Z", "date_to": "2024-03-04T00:00:00Z"}, **auth(token))
    assert [t["id"] for t in response.json()["data"]] == ["T1", "T2"]
    assert response["X-Total-Count"] == "2"


def test_bad_date_is_2001(client, registered_partner):
    _, token = registered_partner
    response = client.get(URL, {"date_from": "last week"}, **auth(token))
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("date_from:")


def test_no_single_tariff_get_in_the_sender_interface(client, registered_partner, tariffs):
    """The 2.2.1 Sender interface lists GET (list) only; a single-object URL is not an endpoint."""
    _, token = registered_partner
    response = client.get(f"{URL}/NL/EXA/T1", **auth(token))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2000


def test_put_on_the_sender_is_405(client, registered_partner):
    _, token = registered_partner
    response = client.put(URL, data="{}", content_type="application/json", **auth(token))
    assert response.status_code == 405


def test_list_costs_a_constant_number_of_queries(client, registered_partner):
    _, token = registered_partner
    TariffFactory.create_batch(3)
    client.get(URL, **auth(token))  # warm-up: first use of a token records it
    with CaptureQueriesContext(connection) as small:
        client.get(URL, **auth(token))
    TariffFactory.create_batch(30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, **auth(token))
    assert len(response.json()["data"]) == 33
    assert len(large) == len(small)
    assert len([q for q in large if "tariffs_tariff" in q["sql"]]) == 2  # count + page


def test_unauthenticated_is_401(client):
    assert client.get(URL).status_code == 401
