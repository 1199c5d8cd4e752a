"""The kit's POST to a collection (PartnerCollectionReceiverView; mod_cdrs.asciidoc, Receiver POST): 201 with a
``Location`` header to ``GET {url}/{key}``, idempotent on a repeated identical object, a different object under a
held id refused with 2001, the party checked by role from the body."""

import json

import pytest

from roaming.tariffs.models import Tariff
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tariffs.factories import tariff_payload

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ocpi.urls")]

URL = "/ocpi/test/collection"


def post(client, token, body):
    return client.post(URL, data=json.dumps(body, default=float), content_type="application/json", **auth(token))


@pytest.fixture
def cpo():
    return registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")


def test_post_answers_201_with_a_location_that_serves_the_object(client, cpo, settings):
    _, token = cpo
    response = post(client, token, tariff_payload(tariff_id="C1"))

    assert response.status_code == 201
    assert response.json()["status_code"] == 1000
    location = response["Location"]
    assert location == f"{settings.OCPI_BASE_URL}/ocpi/2.2.1/emsp/tariffs/DE/CPO/C1"
    got = client.get(location.removeprefix(settings.OCPI_BASE_URL), **auth(token))
    assert got.json()["data"]["id"] == "C1"


def test_a_repeated_identical_post_is_idempotent(client, cpo):
    _, token = cpo
    first = post(client, token, tariff_payload(tariff_id="C1"))
    again = post(client, token, tariff_payload(tariff_id="C1"))

    assert (again.status_code, again["Location"]) == (201, first["Location"])
    assert Tariff.objects.count() == 1


def test_another_object_under_a_held_id_is_refused(client, cpo):
    _, token = cpo
    post(client, token, tariff_payload(tariff_id="C1"))
    before = list(Tariff.objects.values_list("currency", "raw"))

    response = post(client, token, tariff_payload(tariff_id="C1", currency="CHF"))

    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert response.json()["status_message"] == "id: 'C1' is already held with other content"
    assert list(Tariff.objects.values_list("currency", "raw")) == before


def test_the_bodys_party_is_checked_by_role(client, cpo):
    _, emsp_token = registered_partner_with_token(country_code="DE", party_id="CPO", role="EMSP")

    response = post(client, emsp_token, tariff_payload(tariff_id="C1"))

    assert (response.status_code, response.json()["status_code"]) == (404, 2001)
    assert not Tariff.objects.exists()
