"""The tariff admin as staff use it: the list in words, the editor (saved through the service, so partners get a
push), bulk assignment to connectors and the price calculator."""

import html
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from roaming.locations.models import Connector
from roaming.ocpi.models import OutboxMessage
from roaming.tariffs.admin import TariffAdmin
from roaming.tariffs.models import Tariff
from tests.partners.factories import registered_partner_with_token
from tests.tariffs.factories import ReceivedTariffFactory, TariffFactory, site

pytestmark = pytest.mark.django_db

ELEMENTS = [
    {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 10, "step_size": 1}]},
    {
        "price_components": [{"type": "TIME", "price": 2, "vat": 10, "step_size": 1}],
        "restrictions": {"min_duration": 7200},
    },
    {
        "price_components": [{"type": "ENERGY", "price": 0.35, "vat": 10, "step_size": 1}],
        "restrictions": {"start_time": "17:00", "end_time": "20:00"},
    },
]


# Peak first: the first element with an ENERGY component whose restrictions hold sets the energy price.
PEAK_FIRST = [ELEMENTS[2], ELEMENTS[0]]


@pytest.fixture
def receiver():
    """An eMSP publishing tariffs and locations RECEIVERs: our changes are pushed to it."""
    return registered_partner_with_token(
        party_id="MSP",
        endpoints=[
            ("tariffs", "RECEIVER", "http://msp.invalid/ocpi/2.2.1/emsp/tariffs"),
            ("locations", "RECEIVER", "http://msp.invalid/ocpi/2.2.1/emsp/locations"),
        ],
    )[0]


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def form_data(**overrides) -> dict:
    data = {
        "tariff_id": "NEW1",
        "currency": "EUR",
        "type": "REGULAR",
        "elements": json.dumps(ELEMENTS),
        "tariff_alt_text": "",
        "tariff_alt_url": "",
        "min_price_excl_vat": "",
        "min_price_incl_vat": "",
        "max_price_excl_vat": "",
        "max_price_incl_vat": "",
        "start_date_time_0": "",
        "start_date_time_1": "",
        "end_date_time_0": "",
        "end_date_time_1": "",
        "energy_mix": "",
    }
    return {**data, **overrides}


# --- list --------------------------------------------------------------------------------------------------------


def test_changelist_shows_tariffs_in_words_and_defaults_to_own(admin_client):
    TariffFactory(tariff_id="MINE", elements=ELEMENTS)
    ReceivedTariffFactory(tariff_id="THEIRS")
    page = text(admin_client.get(reverse("admin:tariffs_tariff_changelist")))
    assert "MINE" in page and "THEIRS" not in page
    assert "€0.25/kWh, €2.00/h after 2 hours, 17:00–20:00 €0.35/kWh (excl. VAT)" in page
    assert reverse("admin:tariffs_tariff_calculator") in page

    received = text(admin_client.get(reverse("admin:tariffs_tariff_changelist") + "?data=received"))
    assert "THEIRS" in received and "MINE" not in received


def test_in_words_display_method():
    tariff = TariffFactory.build(pk=1, elements=ELEMENTS)
    assert (
        TariffAdmin(Tariff, None).in_words(tariff)
        == "€0.25/kWh, €2.00/h after 2 hours, 17:00–20:00 €0.35/kWh (excl. VAT)"
    )


# --- editor ------------------------------------------------------------------------------------------------------


def test_add_page_creates_an_own_tariff_and_pushes_it(admin_client, receiver):
    assert "elements" in text(admin_client.get(reverse("admin:tariffs_tariff_add")))

    response = admin_client.post(reverse("admin:tariffs_tariff_add"), form_data(min_price_excl_vat="1.50"))

    assert response.status_code == 302
    tariff = Tariff.objects.get()
    assert (tariff.object_key, tariff.type, tariff.source_partner) == ("NL/EXA/NEW1", "REGULAR", None)
    assert str(tariff.min_price_excl_vat) == "1.500000"
    assert tariff.elements[0]["price_components"][0]["price"] == "0.25"
    push = OutboxMessage.objects.get()
    assert (push.partner, push.module, push.method, push.path) == (receiver, "tariffs", "PUT", "NL/EXA/NEW1")


def test_change_page_shows_words_connectors_and_saves_through_the_service(admin_client, receiver):
    tariff = TariffFactory(tariff_id="EDIT", elements=ELEMENTS)
    url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
    page = text(admin_client.get(url))
    assert "€0.25/kWh, €2.00/h after 2 hours, 17:00–20:00 €0.35/kWh (excl. VAT)" in page
    assert "0 connector(s) at 0 location(s)" in page
    assert reverse("admin:tariffs_tariff_assign", args=[tariff.pk]) in page
    assert f"{reverse('admin:tariffs_tariff_calculator')}?tariff={tariff.pk}" in page
    assert '"price": 0.25' in page  # numbers shown as numbers, not the stored strings

    elements = [{"price_components": [{"type": "ENERGY", "price": 0.30, "vat": 10, "step_size": 1}]}]
    response = admin_client.post(url, form_data(elements=json.dumps(elements), tariff_id="IGNORED"))

    assert response.status_code == 302
    tariff.refresh_from_db()
    assert tariff.tariff_id == "EDIT"  # immutable
    assert tariff.elements[0]["price_components"][0]["price"] == "0.3"
    assert tariff.last_updated > datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert OutboxMessage.objects.get().body["elements"][0]["price_components"][0]["price"] == 0.3


def test_invalid_elements_are_shown_on_the_field_and_nothing_is_saved(admin_client, receiver):
    bad = [{"price_components": [{"type": "ENERGY", "price": 0.25}], "restrictions": {"start_time": "25:00"}}]
    page = text(admin_client.post(reverse("admin:tariffs_tariff_add"), form_data(elements=json.dumps(bad))))
    assert "elements[0].price_components[0].step_size: This field is required." in page
    assert "elements[0].restrictions.start_time: '25:00' is not a time in HH:MM 24h format" in page
    assert not Tariff.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_strict_rules_and_duplicate_ids_are_refused(admin_client):
    TariffFactory(tariff_id="DUP")
    page = text(
        admin_client.post(
            reverse("admin:tariffs_tariff_add"),
            form_data(tariff_id="dup", min_price_excl_vat="5", max_price_excl_vat="1"),
        )
    )
    assert "We already have a tariff with this id" in page
    assert "Enter a valid JSON" not in page
    page = text(
        admin_client.post(
            reverse("admin:tariffs_tariff_add"), form_data(min_price_excl_vat="5", max_price_excl_vat="1")
        )
    )
    assert "max_price: excl_vat must not be lower than min_price.excl_vat" in page
    assert Tariff.objects.count() == 1


def test_partner_tariff_is_read_only(admin_client):
    tariff = ReceivedTariffFactory(tariff_id="THEIRS")
    url = reverse("admin:tariffs_tariff_change", args=[tariff.pk])
    page = text(admin_client.get(url))
    assert "€0.25/kWh" in page
    assert 'name="elements"' not in page
    assert reverse("admin:tariffs_tariff_assign", args=[tariff.pk]) not in page
    admin_client.post(url, form_data(tariff_id="THEIRS", currency="CHF"))
    tariff.refresh_from_db()
    assert tariff.currency == "EUR"


def test_delete_goes_through_the_service(admin_client, receiver):
    tariff = TariffFactory(tariff_id="BYE")
    location = site(evses=1)
    Connector.objects.update(tariff_ids=["BYE"])

    response = admin_client.post(reverse("admin:tariffs_tariff_delete", args=[tariff.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Tariff.objects.exists()
    assert Connector.objects.get().tariff_ids == []
    assert list(OutboxMessage.objects.order_by("id").values_list("module", "method", "path")) == [
        ("locations", "PUT", f"NL/EXA/{location.location_id}"),
        ("tariffs", "DELETE", "NL/EXA/BYE"),
    ]


# --- assign ------------------------------------------------------------------------------------------------------


def test_assign_page_previews_then_applies(admin_client, receiver):
    tariff = TariffFactory(tariff_id="BULK")
    harbour, motorway = site(evses=3, name="Harbour"), site(evses=2, name="Motorway", power_type="DC")
    url = reverse("admin:tariffs_tariff_assign", args=[tariff.pk])
    assert "Preview" in text(admin_client.get(url))

    preview = text(admin_client.post(url, {"operation": "assign", "search": "harbour", "_preview": "1"}))
    assert "3 connector(s) match; 3 would change, at 1 location(s)." in preview
    assert "Apply to 3 connector(s)" in preview
    assert Connector.objects.filter(tariff_ids=["BULK"]).count() == 0

    response = admin_client.post(url, {"operation": "assign", "search": "harbour", "_apply": "1"})
    assert response.status_code == 302
    assert Connector.objects.filter(tariff_ids=["BULK"], evse__location=harbour).count() == 3
    assert Connector.objects.filter(tariff_ids=[], evse__location=motorway).count() == 2
    assert list(OutboxMessage.objects.values_list("path", flat=True)) == [f"NL/EXA/{harbour.location_id}"]
    change_page = text(admin_client.get(reverse("admin:tariffs_tariff_change", args=[tariff.pk])))
    assert "3 connector(s) at 1 location(s)" in change_page

    by_power = text(admin_client.post(url, {"operation": "assign", "power_type": "DC", "_preview": "1"}))
    assert "2 connector(s) match; 2 would change" in by_power

    admin_client.post(url, {"operation": "unassign", "locations": [harbour.pk], "_apply": "1"})
    assert Connector.objects.filter(tariff_ids=["BULK"]).count() == 0


def test_assign_page_requires_a_filter_or_all(admin_client):
    tariff = TariffFactory()
    site(evses=2)
    url = reverse("admin:tariffs_tariff_assign", args=[tariff.pk])
    page = text(admin_client.post(url, {"operation": "assign", "_apply": "1"}))
    assert "Choose connectors with at least one filter" in page
    assert Connector.objects.filter(tariff_ids=[]).count() == 2

    admin_client.post(url, {"operation": "assign", "all_connectors": "on", "_apply": "1"})
    assert Connector.objects.filter(tariff_ids=[tariff.tariff_id]).count() == 2


def test_assign_action_redirects_to_the_page_for_one_own_tariff(admin_client):
    tariff = TariffFactory()
    response = admin_client.post(
        reverse("admin:tariffs_tariff_changelist"), {"action": "action_assign", "_selected_action": [tariff.pk]}
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:tariffs_tariff_assign", args=[tariff.pk])


# --- calculator --------------------------------------------------------------------------------------------------


def calculate(admin_client, tariff, **params):
    query = {
        "tariff": tariff.pk,
        "start": "2024-05-06T10:00",
        "time_zone": "",
        "duration_minutes": "60",
        "energy_kwh": "10",
        "_calculate": "1",
        **params,
    }
    return text(admin_client.get(reverse("admin:tariffs_tariff_calculator"), query))


def test_calculator_prices_a_known_tariff(admin_client):
    tariff = TariffFactory(tariff_id="KWH")  # €0.25/kWh, 10% VAT
    page = calculate(admin_client, tariff)
    assert '<th id="total-excl">2.50</th>' in page
    assert '<th id="total-incl">2.75</th>' in page
    assert "energy 10 kWh × €0.25/kWh = €2.50" in page
    assert "restrictions read in\n     <strong>UTC</strong>" in page


def test_calculator_reads_restrictions_in_the_location_time_zone(admin_client):
    tariff = TariffFactory(tariff_id="PEAK", elements=PEAK_FIRST)
    site(evses=1, time_zone="Europe/Amsterdam")
    Connector.objects.update(tariff_ids=["PEAK"])
    # 17:30 in Amsterdam is peak (€0.35/kWh): 10 kWh = €3.50.
    page = calculate(admin_client, tariff, start="2024-05-06T17:30")
    assert "<strong>Europe/Amsterdam</strong>" in page
    assert '<th id="total-excl">3.50</th>' in page
    # 21:00 local is after the peak window.
    assert '<th id="total-excl">2.50</th>' in calculate(admin_client, tariff, start="2024-05-06T21:00")


def test_calculator_with_max_power_and_parking(admin_client):
    elements = [
        {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 10, "step_size": 1}]},
        {"price_components": [{"type": "PARKING_TIME", "price": 2, "vat": 20, "step_size": 900}]},
    ]
    tariff = TariffFactory(tariff_id="PARK", elements=elements)
    # 10 kWh at 20 kW takes 30 min; 30 min left of the hour + 10 extra = 40 min parking, billed as 45 min (€1.50).
    page = calculate(admin_client, tariff, max_power_kw="20", parking_minutes="10", time_zone="UTC")
    assert '<th id="total-excl">4.00</th>' in page
    assert "parking time 45 min × €2.00/h = €1.50" in page


def test_calculator_explains_impossible_input(admin_client):
    tariff = TariffFactory()
    page = calculate(admin_client, tariff, max_power_kw="5", duration_minutes="60")
    assert "10 kWh at 5 kW takes 121 minutes" in page or "longer than the plugged-in duration" in page
    assert 'id="total-excl"' not in page
    assert "Unknown time zone 'Mars/Base'" in calculate(admin_client, tariff, time_zone="Mars/Base")


def test_calculator_page_preselects_the_tariff(admin_client):
    tariff = TariffFactory(tariff_id="PRE")
    page = text(admin_client.get(reverse("admin:tariffs_tariff_calculator"), {"tariff": tariff.pk}))
    assert f'<option value="{tariff.pk}" selected>' in page
    assert 'id="total-excl"' not in page
