"""The eMSP Receiver interface of CDRs (mod_cdrs.asciidoc, Receiver Interface): POST to the collection, GET at the
``Location`` we answer with; repeated, conflicting and spec-breaking CDRs; the price check on arrival."""

import logging
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.cdrs.choices import EventKind, PriceCheck, QuarantineStatus, ReviewStatus
from roaming.cdrs.models import Cdr, QuarantinedCdr
from roaming.ocpi.renderers import dumps
from tests.cdrs.factories import TARIFF, cdr_payload, corrected_example, spec_example
from tests.conftest import auth

pytestmark = pytest.mark.django_db

BASE = "/ocpi/2.2.1/emsp/cdrs"


def post(client, token, body):
    return client.post(BASE, data=dumps(body), content_type="application/json", **auth(token))


def test_post_stores_and_answers_201_with_the_location_of_the_stored_cdr(client, cpo):
    partner, token = cpo
    response = post(client, token, corrected_example())
    assert response.status_code == 201
    assert response.json()["status_code"] == 1000
    assert response["Location"] == "http://127.0.0.1:8000/ocpi/2.2.1/emsp/cdrs/BE/BEC/12345"
    cdr = Cdr.objects.get()
    assert (cdr.direction, cdr.partner, cdr.cdr_id) == ("received", partner, "12345")
    assert cdr.raw == corrected_example()
    assert cdr.total_cost_excl_vat == Decimal("4.00") and cdr.total_cost_incl_vat == Decimal("4.40")
    assert (cdr.token_country_code, cdr.token_party_id, cdr.location_country) == ("DE", "TNM", "BEL")
    assert list(cdr.events.values_list("kind", flat=True)) == [EventKind.RECEIVED]


def test_spec_example_round_trips_through_post_and_get(client, cpo):
    _, token = cpo
    sent = spec_example()  # as published, swapped coordinates and all: both are valid degrees
    location = post(client, token, sent)["Location"]
    got = client.get(location.removeprefix("http://127.0.0.1:8000"), **auth(token)).json()["data"]
    assert got == sent


def test_get_stored_cdr_any_case_and_404_for_unknown_or_foreign(client, cpo, emsp):
    _, token = cpo
    post(client, token, corrected_example())
    assert client.get(f"{BASE}/be/bec/12345", **auth(token)).json()["data"]["id"] == "12345"
    unknown = client.get(f"{BASE}/BE/BEC/NOPE", **auth(token))
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2000
    _, other_token = emsp
    assert client.get(f"{BASE}/BE/BEC/12345", **auth(other_token)).status_code == 404


def test_a_new_cdr_costs_a_constant_small_number_of_queries(client, cpo):
    """auth token, roles, then in one transaction: savepoint, INSERT CDR, INSERT history, release, quarantine
    release (UPDATE), then the traffic log: the same for the first CDR and the 21st (bench/bench_cdrs.py)."""
    _, token = cpo
    counts = []
    for i in range(21):
        with CaptureQueriesContext(connection) as queries:
            assert post(client, token, cdr_payload(id=f"Q{i}")).status_code == 201
        counts.append(len(queries))
    assert counts[1] == counts[20] <= 12
    assert Cdr.objects.filter(ocpi_json__isnull=True).count() == 21  # received CDRs are not rendered on arrival


def test_repeated_identical_post_is_success_storing_nothing(client, cpo, django_assert_max_num_queries):
    _, token = cpo
    first = post(client, token, corrected_example())
    body = {**corrected_example(), "id": "12345"}
    with django_assert_max_num_queries(12):
        again = post(client, token, body)
    # The kit answers a repeated delivery like the first one: the CPO gets its Location again.
    assert again.status_code == 201 and again.json()["status_code"] == 1000
    assert again["Location"] == first["Location"]
    assert Cdr.objects.count() == 1
    assert list(Cdr.objects.get().events.values_list("kind", flat=True)) == [EventKind.RECEIVED]


def test_different_cdr_under_a_held_id_is_refused_and_logged(client, cpo, caplog):
    _, token = cpo
    post(client, token, corrected_example())
    changed = cdr_payload(total_cost={"excl_vat": 9.00, "incl_vat": 9.90})
    with caplog.at_level(logging.WARNING, logger="roaming.cdrs"):
        response = post(client, token, {**changed, "id": "12345"})
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert response.json()["status_message"].startswith("id: a different CDR is already stored under BE/BEC/12345")
    assert "different CDR under the held id" in caplog.text
    assert Cdr.objects.get().total_cost_excl_vat == Decimal("4.00")


def test_cdr_under_a_party_the_caller_does_not_own_is_refused(client, cpo):
    _, token = cpo
    response = post(client, token, cdr_payload(party_id="XXX"))
    assert response.status_code == 404
    assert response.json()["status_code"] == 2001
    assert "BE/XXX is not one of your registered roles as CPO" in response.json()["status_message"]
    assert not Cdr.objects.exists()


def _without(data: dict, *path):
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    del target[last]
    return data


@pytest.mark.parametrize(
    "breakage, problem",
    [
        (lambda d: _without(d, "auth_method"), "auth_method: This field is required."),
        (lambda d: _without(d, "cdr_token", "party_id"), "cdr_token.party_id: This field is required."),
        (lambda d: d["cdr_location"].update(country="BE"), "cdr_location.country: 'BE' is not an ISO 3166-1 alpha-3"),
        (lambda d: d.update(charging_periods=[]), "charging_periods: This list may not be empty."),
        (lambda d: d["cdr_location"].update(address="x" * 46), "cdr_location.address: at most 45 characters"),
        (lambda d: d.update(id="x" * 37), "id: a normal (non-credit) CDR id has at most 36 characters"),
        (lambda d: d.update(credit=True), "credit_reference_id: is required for a credit CDR"),
    ],
)
def test_spec_breaking_cdr_is_answered_2001_naming_the_problem_and_quarantined(client, cpo, breakage, problem):
    partner, token = cpo
    body = cdr_payload()
    breakage(body)
    response = post(client, token, body)
    assert response.status_code == 200
    assert response.json()["status_code"] == 2001
    assert problem in response.json()["status_message"]
    assert not Cdr.objects.exists()
    entry = QuarantinedCdr.objects.get()
    assert (entry.partner, entry.status, entry.raw) == (partner, QuarantineStatus.HELD, body)
    assert any(problem in line for line in entry.problems)


def test_the_same_broken_cdr_twice_is_quarantined_once(client, cpo):
    _, token = cpo
    body = cdr_payload(charging_periods=[])
    post(client, token, body)
    post(client, token, body)
    assert QuarantinedCdr.objects.count() == 1


def test_corrected_resend_releases_the_quarantined_cdr(client, cpo):
    _, token = cpo
    post(client, token, cdr_payload(charging_periods=[]))
    response = post(client, token, cdr_payload())
    assert response.status_code == 201
    entry = QuarantinedCdr.objects.get()
    assert entry.status == QuarantineStatus.RELEASED
    assert entry.stored_cdr == Cdr.objects.get()


def test_body_that_is_no_cdr_object_is_refused_without_quarantine(client, cpo):
    _, token = cpo
    response = post(client, token, [1, 2])
    assert response.json()["status_code"] == 2001
    assert not QuarantinedCdr.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_cdrs_cannot_be_replaced_updated_or_removed(client, cpo, method):
    _, token = cpo
    post(client, token, corrected_example())
    response = getattr(client, method)(
        f"{BASE}/BE/BEC/12345", data=b"{}", content_type="application/json", **auth(token)
    )
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    assert Cdr.objects.count() == 1


# --- price check on arrival -------------------------------------------------------------------------------------


def test_price_check_matches_the_spec_example(client, cpo):
    _, token = cpo
    post(client, token, corrected_example())
    cdr = Cdr.objects.get()
    assert cdr.price_check == PriceCheck.MATCH
    assert cdr.price_difference == Decimal("0")
    assert cdr.review_status == ReviewStatus.OK
    assert cdr.price_check_report["tariff_source"] == "tariff 12 carried by the CDR"


def test_price_difference_over_the_tolerance_flags_the_cdr(client, cpo):
    _, token = cpo
    post(client, token, cdr_payload(total_cost={"excl_vat": 4.02, "incl_vat": 4.42}))
    cdr = Cdr.objects.get()
    assert cdr.price_check == PriceCheck.MISMATCH
    assert cdr.price_difference == Decimal("-0.02")
    assert cdr.review_status == ReviewStatus.FLAGGED
    assert EventKind.PRICE_FLAGGED in cdr.events.values_list("kind", flat=True)


def test_price_difference_within_a_configured_tolerance_passes(client, cpo, settings):
    settings.CDR_PRICE_TOLERANCE = Decimal("0.05")
    _, token = cpo
    post(client, token, cdr_payload(total_cost={"excl_vat": 4.02, "incl_vat": 4.42}))
    assert Cdr.objects.get().review_status == ReviewStatus.OK


def test_price_check_uses_the_tariff_we_hold_when_the_cdr_carries_none(client, cpo):
    partner, token = cpo
    from roaming.tariffs.ocpi.serializers import validate_tariff
    from roaming.tariffs.services import tariff_put_from_partner

    tariff_put_from_partner(
        partner_id=partner.pk,
        data=validate_tariff(
            {
                **TARIFF,
                "elements": [{"price_components": [{"type": "TIME", "price": 3.00, "vat": 10.0, "step_size": 300}]}],
            }
        ),
    )
    post(client, token, cdr_payload(tariffs=[]))
    cdr = Cdr.objects.get()
    assert cdr.price_check_report["tariff_source"] == "tariff 12 as we hold it"
    assert cdr.price_difference == Decimal("2.00")  # 2 h at 3.00 instead of 2.00
    assert cdr.review_status == ReviewStatus.FLAGGED


def test_cdr_without_any_tariff_is_stored_unchecked(client, cpo):
    _, token = cpo
    body = cdr_payload(tariffs=[])
    del body["charging_periods"][0]["tariff_id"]
    post(client, token, body)
    cdr = Cdr.objects.get()
    assert cdr.price_check == PriceCheck.UNCHECKED
    assert cdr.review_status == ReviewStatus.OK


def test_nul_characters_in_a_refused_cdr_are_quarantined_without_them(client, cpo):
    """Found by the interface fuzz test: the problem message quoted a NUL, which jsonb cannot hold (500)."""
    _, token = cpo
    body = cdr_payload(last_updated="bad\x00date")
    response = post(client, token, body)
    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    entry = QuarantinedCdr.objects.get()
    assert "\x00" not in entry.problems[0] and entry.raw["last_updated"] == "baddate"


def test_a_payload_nested_too_deep_to_keep_is_refused_not_crashed(client, cpo):
    """Found by the interface fuzz test: an unknown member nested 300 deep could not be stored as raw (500)."""
    _, token = cpo
    text = dumps(cdr_payload()).decode()[:-1] + ', "x": ' + "[" * 300 + "]" * 300 + "}"  # parseable, past orjson 255
    response = client.post(BASE, data=text, content_type="application/json", **auth(token))
    # Since harden's JSON depth limit the parser refuses it (HTTP 400); ``storable`` still guards the pull ingest.
    assert response.json()["status_code"] == 2001 and response.status_code in (200, 400)
    assert not Cdr.objects.exists()


def test_price_check_reads_time_restrictions_in_the_held_locations_zone(client, cpo):
    from tests.locations.factories import LocationFactory

    partner, token = cpo
    night = {
        **TARIFF,
        "elements": [
            {
                "price_components": [{"type": "TIME", "price": 1.00, "step_size": 300}],
                "restrictions": {"start_time": "23:00", "end_time": "06:00"},
            },
            {"price_components": [{"type": "TIME", "price": 2.00, "step_size": 300}]},
        ],
    }
    # 21:39-23:37 UTC is 23:39-01:37 in Brussels: all night rate, 2 h x 1.00
    body = cdr_payload(tariffs=[night], total_cost={"excl_vat": 2.00}, total_time_cost={"excl_vat": 2.00})
    LocationFactory(
        country_code="BE", party_id="BEC", location_id="LOC1", time_zone="Europe/Brussels", source_partner=partner
    )
    post(client, token, body)
    cdr = Cdr.objects.get()
    assert cdr.price_check_report["time_zone"] == "Europe/Brussels"
    assert cdr.price_check == PriceCheck.MATCH
