"""The credentials endpoint under the interface suite's fuzz (issue 9, "Any input: an answer, never a crash"):
mutated registration (POST, token A) and update (PUT, token C) bodies always get an envelope, never a 5xx, and a
refused one stores nothing (credentials.asciidoc)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roaming.partners.models import Partner, PartnerEndpoint, PartnerRole, PartnerToken
from roaming.partners.services import partner_invite
from tests.conftest import auth
from tests.ocpi.interface import FUZZ_SETTINGS, envelope_ok, mutated_bodies
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

CREDENTIALS_URL = "/ocpi/2.2.1/credentials"


def stored() -> list:
    return [
        sorted(Partner.objects.values_list("pk", "status", "versions_url", "version"), key=str),
        sorted(PartnerRole.objects.values_list("pk", "role", "country_code", "party_id", "business_name"), key=str),
        sorted(PartnerToken.objects.values_list("pk", "kind", "digest"), key=str),
        sorted(PartnerEndpoint.objects.values_list("pk", "url"), key=str),
    ]


def test_fuzz_credentials_bodies_get_an_envelope_and_a_refusal_changes_nothing(client, dead_url, settings_fixture):
    _, token_a = partner_invite(name="Invited")
    _, token_c = registered_partner_with_token(country_code="NL", party_id="TNM", role="EMSP")
    body = {
        "token": "token-b-from-partner",
        # Nothing listens there: a body that passes validation fails fetching the versions (3001), so every
        # example is a refusal whose effect on storage is checked.
        "url": f"{dead_url}/ocpi/versions",
        "roles": [
            {
                "role": "EMSP",
                "country_code": "DE",
                "party_id": "MSP",
                "business_details": {"name": "Mobility DE", "logo": {"url": "https://x.example/l.png", "height": 1}},
            }
        ],
    }

    @settings(max_examples=250, **FUZZ_SETTINGS)
    @given(method=st.sampled_from(["post", "put"]), raw=mutated_bodies(body))
    def run(method, raw):
        before = stored()
        token = token_a if method == "post" else token_c
        response = getattr(client, method)(CREDENTIALS_URL, data=raw, content_type="application/json", **auth(token))
        answer = envelope_ok(response)
        if answer["status_code"] != 1000:
            assert stored() == before, answer

    run()


@pytest.fixture
def settings_fixture(settings):
    settings.OCPI_CLIENT_RETRIES = 0
    return settings
