"""The eMSP Receiver interface of tariffs (mod_tariffs.asciidoc, Receiver Interface): GET, PUT, DELETE on
``/ocpi/2.2.1/emsp/tariffs/{country_code}/{party_id}/{tariff_id}``."""

import pytest

from roaming.ocpi.renderers import dumps
from roaming.tariffs.models import Tariff
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tariffs.factories import TariffFactory, tariff_payload

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/emsp/tariffs"


@pytest.fixture
def cpo():
    """A registered CPO partner DE/CPO and the token it calls us with."""
    return registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")


def put(client, token, path, body):
    return client.put(f"{BASE}/{path}", data=dumps(body), content_type="application/json", **auth(token))


def test_put_creates_then_replaces(client, cpo):
    partner, token = cpo
    created = put(client, token, "DE/CPO/T1", tariff_payload(type="REGULAR"))
    assert created.status_code == 201
    assert created.json()["status_code"] == 1000
    assert "data" not in created.json()

    replaced = put(client, token, "DE/CPO/T1", tariff_payload(last_updated="2024-01-02T00:00:00Z"))
    assert replaced.status_code == 200
    tariff = Tariff.objects.get()
    assert tariff.source_partner == partner
    assert tariff.type == ""  # PUT replaces: the omitted optional field is cleared
    assert tariff.raw["last_updated"] == "2024-01-02T00:00:00Z"
    assert tariff.received_at is not None


def test_get_returns_what_we_hold(client, cpo):
    _, token = cpo
    put(client, token, "DE/CPO/T1", tariff_payload(tariff_alt_url="https://cpo.example/t1"))
    response = client.get(f"{BASE}/de/cpo/t1", **auth(token))  # CiStrings: any case
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == "T1"
    assert data["elements"][0]["price_components"][0] == {"type": "ENERGY", "price": 0.25, "vat": 10.0, "step_size": 1}
    assert data["tariff_alt_url"] == "https://cpo.example/t1"


def test_get_unknown_tariff_is_404(client, cpo):
    _, token = cpo
    response = client.get(f"{BASE}/DE/CPO/NOPE", **auth(token))
    assert response.status_code == 404
    assert "Unknown tariff" in response.json()["status_message"]


def test_get_does_not_serve_our_own_tariffs(client, cpo, settings):
    _, token = cpo
    TariffFactory(country_code="DE", party_id="CPO", tariff_id="OURS")  # same party, but no source partner
    assert client.get(f"{BASE}/DE/CPO/OURS", **auth(token)).status_code == 404


def test_invalid_body_is_2001_naming_the_field_and_changes_nothing(client, cpo):
    _, token = cpo
    put(client, token, "DE/CPO/T1", tariff_payload())
    body = tariff_payload(last_updated="2024-02-01T00:00:00Z")
    body["elements"][0]["price_components"][0]["step_size"] = "five"
    response = put(client, token, "DE/CPO/T1", body)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("elements[0].price_components[0].step_size:")
    assert Tariff.objects.get().last_updated.isoformat() == "2024-01-01T12:00:00+00:00"


def test_body_that_is_not_a_tariff_object(client, cpo):
    _, token = cpo
    response = put(client, token, "DE/CPO/T1", "a string")
    assert response.json()["status_code"] == 2001
    assert not Tariff.objects.exists()


def test_single_object_wrapped_in_a_list_is_accepted(client, cpo):
    _, token = cpo
    assert put(client, token, "DE/CPO/T1", [tariff_payload()]).status_code == 201
    assert Tariff.objects.get().raw["id"] == "T1"  # the object as sent, unwrapped


@pytest.mark.parametrize(
    ("path", "field"),
    [("DE/CPO/OTHER", "id"), ("DE/CPO/T1", None)],
)
def test_url_ids_must_match_body_ids(client, cpo, path, field):
    _, token = cpo
    response = put(client, token, path, tariff_payload())
    if field is None:
        assert response.status_code == 201
    else:
        assert response.json()["status_code"] == 2001
        assert response.json()["status_message"] == "id: 'T1' does not match the tariff_id 'OTHER' in the URL"
        assert not Tariff.objects.exists()


def test_body_party_must_match_url_party(client):
    _, token = registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")
    body = tariff_payload(party_id="XYZ")
    response = put(client, token, "DE/CPO/T1", body)
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == "party_id: 'XYZ' does not match the party_id 'CPO' in the URL"


def test_ids_missing_from_the_body_are_taken_from_the_url(client, cpo):
    _, token = cpo
    body = tariff_payload()
    del body["country_code"], body["party_id"], body["id"]
    assert put(client, token, "de/cpo/T9", body).status_code == 201
    assert Tariff.objects.get().object_key == "DE/CPO/T9"


def test_cross_party_put_is_refused(client, cpo):
    registered_partner_with_token(country_code="FR", party_id="OTH", role="CPO")
    _, token = cpo
    response = put(client, token, "FR/OTH/T1", tariff_payload(country_code="FR", party_id="OTH"))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2001
    assert "not one of your registered roles" in response.json()["status_message"]
    assert not Tariff.objects.exists()


def test_cross_party_get_and_delete_are_refused(client, cpo):
    other, other_token = registered_partner_with_token(country_code="FR", party_id="OTH", role="CPO")
    put(client, other_token, "FR/OTH/T1", tariff_payload(country_code="FR", party_id="OTH"))
    _, token = cpo
    assert client.get(f"{BASE}/FR/OTH/T1", **auth(token)).status_code == 404
    assert client.delete(f"{BASE}/FR/OTH/T1", **auth(token)).status_code == 404
    assert Tariff.objects.get().source_partner == other


def test_stale_update_is_acknowledged_and_ignored(client, cpo):
    _, token = cpo
    put(client, token, "DE/CPO/T1", tariff_payload(last_updated="2024-03-01T00:00:00Z", currency="EUR"))
    response = put(client, token, "DE/CPO/T1", tariff_payload(last_updated="2024-02-01T00:00:00Z", currency="CHF"))
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    assert "ignored" in response.json()["status_message"]
    tariff = Tariff.objects.get()
    assert (tariff.currency, tariff.last_updated.month) == ("EUR", 3)


def test_put_cannot_overwrite_our_own_tariff(client, cpo):
    _, token = cpo
    TariffFactory(country_code="DE", party_id="CPO", tariff_id="T1")
    response = put(client, token, "DE/CPO/T1", tariff_payload(last_updated="2030-01-01T00:00:00Z"))
    assert response.json()["status_code"] == 2001
    assert Tariff.objects.get().source_partner is None


def test_delete(client, cpo):
    _, token = cpo
    put(client, token, "DE/CPO/T1", tariff_payload())
    response = client.delete(f"{BASE}/DE/CPO/t1", **auth(token))
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    assert not Tariff.objects.exists()
    assert client.delete(f"{BASE}/DE/CPO/T1", **auth(token)).status_code == 404


@pytest.mark.parametrize("method", ["post", "patch"])
def test_post_and_patch_are_not_part_of_the_interface(client, cpo, method):
    _, token = cpo
    response = getattr(client, method)(f"{BASE}/DE/CPO/T1", data="{}", content_type="application/json", **auth(token))
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000


def test_unauthenticated_is_401(client):
    assert client.get(f"{BASE}/DE/CPO/T1").status_code == 401


def test_routing_headers_are_on_the_response(client, cpo):
    _, token = cpo
    response = put(client, token, "DE/CPO/T1", tariff_payload())
    assert response["OCPI-from-country-code"] == "NL"
    assert response["OCPI-from-party-id"] == "EXA"
