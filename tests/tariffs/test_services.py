"""Writes of the tariffs module (roaming.tariffs.services): received tariffs, the pull handler, and our own tariffs
with their pushes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.ocpi.models import OutboxMessage, SyncRun
from roaming.ocpi.pull import sync_pull
from roaming.tariffs import services
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import jsonable
from roaming.tariffs.ocpi.serializers import validate_tariff
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope
from tests.tariffs.factories import ConnectorFactory, ReceivedTariffFactory, TariffFactory, site, tariff_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo():
    return registered_partner_with_token(country_code="DE", party_id="CPO", role="CPO")[0]


@pytest.fixture
def emsp():
    """An eMSP partner that publishes a tariffs RECEIVER: our own tariff changes are pushed to it."""
    return registered_partner_with_token(
        party_id="MSP", endpoints=[("tariffs", "RECEIVER", "http://msp.invalid/ocpi/2.2.1/emsp/tariffs")]
    )[0]


def own_body(**extra) -> dict:
    body = tariff_payload(tariff_id="OWN1", **extra)
    del body["country_code"], body["party_id"], body["last_updated"]
    return body


# --- receive -----------------------------------------------------------------------------------------------------


def test_put_from_partner_outcomes(cpo):
    first = services.tariff_put_from_partner(partner_id=cpo.pk, data=validate_tariff(tariff_payload()))
    same = services.tariff_put_from_partner(partner_id=cpo.pk, data=validate_tariff(tariff_payload()))
    newer = services.tariff_put_from_partner(
        partner_id=cpo.pk, data=validate_tariff(tariff_payload(currency="CHF", last_updated="2024-06-01T00:00:00Z"))
    )
    older = services.tariff_put_from_partner(
        partner_id=cpo.pk, data=validate_tariff(tariff_payload(currency="GBP", last_updated="2024-02-01T00:00:00Z"))
    )
    assert [r.outcome for r in (first, same, newer, older)] == ["created", "unchanged", "updated", "stale"]
    assert Tariff.objects.get().currency == "CHF"


def test_put_from_partner_refuses_a_party_the_partner_does_not_have(cpo):
    with pytest.raises(InvalidInput):
        services.tariff_put_from_partner(partner_id=cpo.pk, data=validate_tariff(tariff_payload(party_id="XYZ")))
    assert not Tariff.objects.exists()


def test_put_from_partner_keeps_the_original_case_of_a_changed_id_spelling(cpo):
    services.tariff_put_from_partner(partner_id=cpo.pk, data=validate_tariff(tariff_payload(tariff_id="abc")))
    services.tariff_put_from_partner(
        partner_id=cpo.pk, data=validate_tariff(tariff_payload(tariff_id="ABC", last_updated="2024-02-01T00:00:00Z"))
    )
    assert list(Tariff.objects.values_list("tariff_id", flat=True)) == ["ABC"]


def test_delete_from_partner(cpo):
    services.tariff_put_from_partner(partner_id=cpo.pk, data=validate_tariff(tariff_payload()))
    services.tariff_delete_from_partner(partner_id=cpo.pk, country_code="de", party_id="cpo", tariff_id="t1")
    assert not Tariff.objects.exists()
    with pytest.raises(ObjectNotFound):
        services.tariff_delete_from_partner(partner_id=cpo.pk, country_code="DE", party_id="CPO", tariff_id="T1")


def test_ingest_page_reports_accepted_ignored_rejected(cpo):
    ReceivedTariffFactory(tariff_id="OLD", source_partner=cpo, last_updated=datetime(2030, 1, 1, tzinfo=UTC))
    bad = tariff_payload(tariff_id="BAD")
    bad["elements"][0]["price_components"][0]["price"] = "free"
    report = services.tariffs_ingest_page(
        partner_id=cpo.pk,
        objects=[
            tariff_payload(tariff_id="NEW"),
            tariff_payload(tariff_id="OLD"),  # older than what we hold
            bad,
            tariff_payload(tariff_id="ELSE", party_id="XYZ"),
            "not an object",
        ],
    )
    assert report["accepted"] == 1 and report["ignored"] == 1
    assert report["rejected"] == [
        "[2] 'BAD': elements[0].price_components[0].price: a number is required",
        "[3] 'ELSE': country_code/party_id DE/XYZ is not one of the partner's roles as CPO",
        "[4]: expected a Tariff object",
    ]
    assert sorted(Tariff.objects.values_list("tariff_id", flat=True)) == ["NEW", "OLD"]


def test_pull_engine_uses_the_tariffs_handler(stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    partner, _ = registered_partner_with_token(
        country_code="DE",
        party_id="CPO",
        role="CPO",
        endpoints=[("tariffs", "SENDER", f"{stub_server.url}/ocpi/2.2.1/cpo/tariffs")],
    )
    stub_server.route(
        "GET",
        "/ocpi/2.2.1/cpo/tariffs",
        (
            200,
            envelope(jsonable([tariff_payload(tariff_id="P1"), tariff_payload(tariff_id="P2")])),
            {"X-Total-Count": "2"},
        ),
    )

    run = sync_pull(partner_id=partner.pk, module="tariffs")

    assert (run.status, run.accepted, run.rejected) == (SyncRun.Status.SUCCEEDED, 2, 0)
    assert sorted(Tariff.objects.filter(source_partner=partner).values_list("tariff_id", flat=True)) == ["P1", "P2"]


# --- own ---------------------------------------------------------------------------------------------------------


def test_save_own_creates_and_pushes_put(emsp):
    tariff = services.tariff_save_own(data=own_body(type="REGULAR"))

    assert (tariff.country_code, tariff.party_id, tariff.source_partner) == ("NL", "EXA", None)
    message = OutboxMessage.objects.get()
    assert (message.partner, message.module, message.method) == (emsp, "tariffs", "PUT")
    assert message.path == message.object_key == "NL/EXA/OWN1"
    assert message.body["id"] == "OWN1"
    assert message.body["elements"][0]["price_components"][0]["price"] == 0.25
    assert message.body["last_updated"].endswith("Z")


def test_save_own_replaces_and_pushes_only_real_changes(emsp):
    first = services.tariff_save_own(data=own_body())
    again = services.tariff_save_own(data=own_body())  # identical: nothing to tell partners
    assert again.last_updated == first.last_updated
    assert OutboxMessage.objects.count() == 1

    changed = services.tariff_save_own(data=own_body(max_price={"excl_vat": Decimal("10")}))
    assert changed.pk == first.pk
    assert changed.last_updated > first.last_updated
    assert changed.max_price_excl_vat == Decimal("10")
    assert OutboxMessage.objects.count() == 2
    assert OutboxMessage.objects.order_by("id").last().body["max_price"] == {"excl_vat": 10}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "euros"}, "currency: 'euros' is not an ISO 4217 currency code such as EUR"),
        (
            {"min_price": {"excl_vat": 5}, "max_price": {"excl_vat": 1}},
            "max_price: excl_vat must not be lower than min_price.excl_vat",
        ),
    ],
)
def test_save_own_validates_strictly_and_names_fields(emsp, change, message):
    with pytest.raises(ValidationError) as info:
        services.tariff_save_own(data={**own_body(), **change})
    assert info.value.messages == [message]
    assert not Tariff.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_save_own_ignores_other_parties_in_the_data():
    tariff = services.tariff_save_own(data={**own_body(), "country_code": "DE", "party_id": "XYZ"})
    assert tariff.object_key == "NL/EXA/OWN1"


def test_no_push_without_receiving_partners():
    services.tariff_save_own(data=own_body())
    assert not OutboxMessage.objects.exists()


def test_delete_own_unlinks_connectors_first_then_pushes_delete(emsp):
    registered_partner_with_token(
        party_id="LOC", endpoints=[("locations", "RECEIVER", "http://loc.invalid/ocpi/2.2.1/emsp/locations")]
    )
    tariff = TariffFactory(tariff_id="GONE")
    location = site(evses=2)
    connectors = list(location.evses.all()[0].connectors.all()) + list(location.evses.all()[1].connectors.all())
    for connector in connectors:
        connector.tariff_ids = ["gone", "KEEP"]
        connector.save()
    untouched = ConnectorFactory(tariff_ids=["KEEP"])

    assert services.tariff_delete_own(tariff=tariff) == 2

    assert not Tariff.objects.exists()
    for connector in connectors:
        connector.refresh_from_db()
        assert connector.tariff_ids == ["KEEP"]
    untouched.refresh_from_db()
    assert untouched.last_updated.year == 2024
    pushes = list(OutboxMessage.objects.order_by("id").values_list("module", "method", "path"))
    assert pushes == [
        ("locations", "PUT", f"NL/EXA/{location.location_id}"),
        ("tariffs", "DELETE", "NL/EXA/GONE"),
    ]
    delete = OutboxMessage.objects.get(module="tariffs")
    assert delete.body is None
    # ...and the DELETE is held until that location PUT has reached the partner (mod_tariffs.asciidoc, DELETE).
    assert delete.after_keys == [f"NL/EXA/{location.location_id}"]


def test_delete_own_refuses_partner_tariffs():
    with pytest.raises(ValidationError):
        services.tariff_delete_own(tariff=ReceivedTariffFactory())
    assert Tariff.objects.count() == 1
