"""The CPO Sender interface of CDRs (mod_cdrs.asciidoc, Sender Interface): GET list, paginated, date filters,
each eMSP seeing only its drivers' CDRs."""

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.cdrs.models import Cdr
from roaming.ocpi.datetimes import format_datetime
from tests.cdrs.factories import own_cdr
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/cpo/cdrs"


def test_each_emsp_sees_only_the_cdrs_of_its_tokens(client, emsp):
    _, token = emsp
    _, other_token = registered_partner_with_token(country_code="NL", party_id="OTH", role="EMSP")
    own_cdr("A1")
    own_cdr("B1", token_party=("NL", "OTH"))
    own_cdr("A2")
    mine = client.get(BASE, **auth(token))
    assert mine.status_code == 200
    assert [c["id"] for c in mine.json()["data"]] == ["A1", "A2"]
    assert mine["X-Total-Count"] == "2"
    assert [c["id"] for c in client.get(BASE, **auth(other_token)).json()["data"]] == ["B1"]


def test_a_cpo_partner_sees_none_of_our_cdrs(client, emsp, cpo):
    own_cdr("A1")
    assert client.get(BASE, **auth(cpo[1])).json()["data"] == []


def test_pagination_and_date_window(client, emsp, django_assert_max_num_queries):
    _, token = emsp
    cdrs = [own_cdr(f"A{i}") for i in range(5)]
    with django_assert_max_num_queries(10):  # auth, roles, count, page ids, page rows, traffic log
        page = client.get(f"{BASE}?limit=2", **auth(token))
    assert [c["id"] for c in page.json()["data"]] == ["A0", "A1"]
    assert 'rel="next"' in page["Link"] and "offset=2" in page["Link"]
    window = client.get(f"{BASE}?date_from={format_datetime(cdrs[0].last_updated)}", **auth(token))
    assert window.json()["data"]
    after = client.get(f"{BASE}?date_from=2999-01-01T00:00:00Z", **auth(token))
    assert after.json()["data"] == [] and after["X-Total-Count"] == "0"


def test_query_count_is_constant_per_page(client, emsp):
    _, token = emsp
    for i in range(30):
        own_cdr(f"A{i}")
    client.get(f"{BASE}?limit=1", **auth(token))  # first call of the partner: per-partner lookups get cached
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(f"{BASE}?limit=1", **auth(token)).json()["data"]) == 1
    with CaptureQueriesContext(connection) as thirty:
        assert len(client.get(f"{BASE}?limit=30", **auth(token)).json()["data"]) == 30
    assert len(thirty) == len(one)


def test_sender_renders_the_cdr_as_stored(client, emsp):
    _, token = emsp
    own_cdr("A1")
    data = client.get(BASE, **auth(token)).json()["data"][0]
    assert data["total_cost"] == {"excl_vat": 4.0, "incl_vat": 4.4}
    assert data["cdr_token"]["party_id"] == "TNM"
    assert data["charging_periods"][0]["dimensions"] == [{"type": "TIME", "volume": 1.973}]
    assert "credit" not in data


def test_the_page_is_the_stored_json_and_bulk_inserted_rows_are_rendered(client, emsp):
    """A page inserts each CDR's stored JSON as is; a row written without it (bulk insert) is rendered from its row,
    in one more query for the whole page, and both read the same."""
    _, token = emsp
    first = own_cdr("A1")
    twin = Cdr(**{f.attname: getattr(first, f.attname) for f in Cdr._meta.concrete_fields if not f.primary_key})
    twin.cdr_id, twin.ocpi_json = "A2", None
    Cdr.objects.bulk_create([twin])  # no save(): nothing rendered
    client.get(BASE, **auth(token))  # per-partner lookups cached
    with CaptureQueriesContext(connection) as queries:
        data = client.get(BASE, **auth(token)).json()["data"]
    assert [c["id"] for c in data] == ["A1", "A2"]
    assert data[0] == orjson.loads(Cdr.objects.get(cdr_id="A1").ocpi_json)
    assert {**data[1], "id": "A1"} == data[0]
    with CaptureQueriesContext(connection) as stored_only:
        client.get(f"{BASE}?limit=1", **auth(token))
    assert len(queries) == len(stored_only) + 1


def test_without_token_401(client):
    assert client.get(BASE).status_code == 401
