"""Every tariff example of the OCPI 2.2.1 spec (tests/data/ocpi-examples, unchanged copies) is accepted by our
Receiver PUT and comes back identical from our Receiver GET.

``tariff_put_example.json`` lacks ``last_updated``, which the Tariff object requires (card. 1): it is refused with
2001 naming the field; a corrected copy (built in ``factories.fixed_put_example``, the file stays untouched) is
accepted."""

import json

import pytest

from roaming.ocpi.renderers import dumps
from roaming.tariffs.models import Tariff
from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token
from tests.tariffs.factories import EXAMPLES, SPEC_TARIFF_EXAMPLES, fixed_put_example, load_example

pytestmark = pytest.mark.django_db

VALID_EXAMPLES = [name for name in SPEC_TARIFF_EXAMPLES if name != "tariff_put_example.json"]


@pytest.fixture
def token():
    """The examples are all owned by DE/ALL."""
    return registered_partner_with_token(country_code="DE", party_id="ALL", role="CPO")[1]


def url(body: dict) -> str:
    return f"/ocpi/2.2.1/emsp/tariffs/{body['country_code']}/{body['party_id']}/{body['id']}"


def put(client, token, body):
    return client.put(url(body), data=dumps(body), content_type="application/json", **auth(token))


def test_every_tariff_example_is_covered():
    assert len(SPEC_TARIFF_EXAMPLES) == 20
    assert "tariff_put_example.json" in SPEC_TARIFF_EXAMPLES


@pytest.mark.parametrize("name", VALID_EXAMPLES)
def test_example_is_accepted_and_round_trips(client, token, name):
    body = load_example(name)

    response = put(client, token, body)

    assert response.status_code == 201, response.json()
    assert response.json()["status_code"] == 1000
    got = client.get(url(body), **auth(token)).json()["data"]
    # Same JSON as the file (numbers compared as numbers: 2.00 in the file, 2.0 from us).
    assert got == json.loads((EXAMPLES / name).read_text())


def test_put_example_without_last_updated_is_refused(client, token):
    response = put(client, token, load_example("tariff_put_example.json"))

    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"] == "last_updated: This field is required."
    assert not Tariff.objects.exists()


def test_corrected_put_example_is_accepted(client, token):
    body = fixed_put_example()
    # Sent as text, so the numbers travel with the digits of the file (2.00), as a partner would send them.
    text = (EXAMPLES / "tariff_put_example.json").read_text().rstrip()
    assert text.endswith("}")
    text = text[:-1] + ', "last_updated": "2015-06-29T20:39:09Z"}'

    response = client.put(url(body), data=text, content_type="application/json", **auth(token))

    assert response.status_code == 201
    got = client.get(url(body), **auth(token)).json()["data"]
    assert got == json.loads(dumps(body))
    # Stored as decimal strings with the digits as sent: no float ever held the price.
    assert Tariff.objects.get().elements[0]["price_components"][0] == {
        "type": "TIME",
        "price": "2.00",
        "vat": "10.0",
        "step_size": 300,
    }
