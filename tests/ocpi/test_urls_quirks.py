"""Issue 10: credentials under both roles in our version details, and the glued URL form
``{url}{cc}/{pid}/{id}`` accepted by every module's receiver, generically (roaming.ocpi.urls)."""

import pytest
from django.urls import resolve

from roaming.ocpi.renderers import dumps
from roaming.tariffs.models import Tariff
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tariffs.factories import tariff_payload

pytestmark = pytest.mark.django_db


def test_credentials_is_published_as_sender_and_receiver_with_one_url(client, registered_partner, settings):
    _, token = registered_partner

    endpoints = client.get("/ocpi/2.2.1", **auth(token)).json()["data"]["endpoints"]

    credentials = [e for e in endpoints if e["identifier"] == "credentials"]
    assert sorted(e["role"] for e in credentials) == ["RECEIVER", "SENDER"]
    assert {e["url"] for e in credentials} == {f"{settings.OCPI_BASE_URL}/ocpi/2.2.1/credentials"}


@pytest.mark.parametrize(
    ("glued", "expected_view", "kwargs"),
    [
        ("/ocpi/2.2.1/emsp/tariffsDE/CPO/T1", "TariffReceiverView", {"country_code": "DE", "tariff_id": "T1"}),
        ("/ocpi/2.2.1/emsp/locationsDE/CPO/L1", "LocationReceiverView", {"location_id": "L1"}),
        ("/ocpi/2.2.1/emsp/locationsDE/CPO/L1/E1/C1", "ConnectorReceiverView", {"evse_uid": "E1"}),
        ("/ocpi/2.2.1/cpo/locationsL1", "LocationSenderView", {"location_id": "L1"}),
    ],
)
def test_glued_urls_resolve_like_the_spec_form(glued, expected_view, kwargs):
    match = resolve(glued)

    assert match.func.view_class.__name__.startswith(expected_view.replace("View", ""))
    assert kwargs.items() <= match.kwargs.items()
    spec_form = resolve(glued.replace("tariffsDE", "tariffs/DE").replace("locationsDE", "locations/DE"))
    if "cpo/locationsL1" not in glued:
        assert (spec_form.func.view_class, spec_form.kwargs) == (match.func.view_class, match.kwargs)


def test_a_tariff_put_to_the_glued_url_is_stored(client):
    _, token = registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")

    response = client.put(
        "/ocpi/2.2.1/emsp/tariffsDE/CPO/T1",
        data=dumps(tariff_payload()),
        content_type="application/json",
        **auth(token),
    )

    assert response.status_code == 201
    assert response.json()["status_code"] == 1000
    assert str(Tariff.objects.get()) == "DE/CPO T1"


@pytest.mark.parametrize(
    "path", ["/ocpi/2.2.1/emsp/tariffsX", "/ocpi/2.2.1/credentialsX", "/ocpi/2.2.1/emsp/tariffs//"]
)
def test_what_is_neither_form_is_an_ocpi_404(client, registered_partner, path):
    _, token = registered_partner

    response = client.get(path, **auth(token))

    assert response.status_code == 404
    assert response.json()["status_code"] in (2000, 2003)
