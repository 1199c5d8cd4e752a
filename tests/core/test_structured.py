"""Structured JSON editors: business fields edited as rows and tick boxes, the JSON view still able to set them."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from roaming.core.structured import NUMBER, Column, RowsWidget, StructuredJsonField
from roaming.locations.models import EVSE, Location
from tests.locations.factories_import import OwnEVSEFactory, OwnLocationFactory
from tests.locations.test_admin import errors_of, form_data

pytestmark = pytest.mark.django_db

PRICES = (Column("name", "Name"), Column("price", "Price", NUMBER))


def post(data: dict) -> MultiValueDict:
    return MultiValueDict({key: value if isinstance(value, list) else [value] for key, value in data.items()})


def test_rows_are_read_typed_and_blank_rows_dropped():
    widget = RowsWidget(PRICES)
    data = post(
        {"p-count": "3", "p-0-name": "a", "p-0-price": "0.25", "p-1-name": "", "p-1-price": "", "p-2-price": "1,5"}
    )
    assert widget.value_from_datadict(data, {}, "p") == [
        {"name": "a", "price": Decimal("0.25")},
        {"price": Decimal("1.5")},
    ]


def test_the_json_view_wins_only_when_edited():
    widget = RowsWidget(PRICES)
    shown = '[{"name": "a", "price": 0.25}]'
    rows = {"p-count": "1", "p-0-name": "b", "p-0-price": "2"}
    untouched = post({**rows, "p__json": shown, "p__json_shown": shown})
    assert widget.value_from_datadict(untouched, {}, "p") == [{"name": "b", "price": 2}]
    edited = post({**rows, "p__json": '[{"name": "c", "price": 3.10}]', "p__json_shown": shown})
    field = StructuredJsonField(widget=widget, empty=[])
    assert field.clean(widget.value_from_datadict(edited, {}, "p")) == [{"name": "c", "price": Decimal("3.10")}]
    broken = post({**rows, "p__json": "[{", "p__json_shown": shown})
    with pytest.raises(Exception, match="Enter a valid JSON"):
        field.clean(widget.value_from_datadict(broken, {}, "p"))


def structured_post(response, **changes) -> dict:
    """The form as a browser posts it: rows and tick boxes, the JSON views as shown."""
    data = form_data(response)
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, StructuredJsonField):
            text = data.pop(name, "")
            data[f"{name}__json"] = data[f"{name}__json_shown"] = text
    data.update(changes)
    return data


def test_an_evse_is_edited_with_tick_boxes_and_rows(admin_client):
    evse = OwnEVSEFactory(capabilities=[], parking_restrictions=[])
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = structured_post(
        admin_client.get(url),
        capabilities=["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        parking_restrictions=["EV_ONLY"],
        **{
            "directions-count": "2",
            "directions-0-language": "en",
            "directions-0-text": "Behind the bakery",
            "status_schedule-count": "1",
            "status_schedule-0-period_begin": "2026-12-01T08:00:00Z",
            "status_schedule-0-period_end": "2026-12-01T12:00:00Z",
            "status_schedule-0-status": "OUTOFORDER",
            "images-count": "1",
            "images-0-url": "https://example.com/charger.png",
            "images-0-category": "CHARGER",
            "images-0-type": "png",
            "images-0-width": "640",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    evse = EVSE.objects.get(pk=evse.pk)
    assert evse.capabilities == ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
    assert evse.parking_restrictions == ["EV_ONLY"]
    assert evse.directions == [{"language": "en", "text": "Behind the bakery"}]
    assert evse.status_schedule == [
        {"period_begin": "2026-12-01T08:00:00Z", "period_end": "2026-12-01T12:00:00Z", "status": "OUTOFORDER"}
    ]
    assert evse.images == [
        {"url": "https://example.com/charger.png", "category": "CHARGER", "type": "png", "width": 640}
    ]


def test_a_location_energy_mix_from_its_rows(admin_client):
    location = OwnLocationFactory()
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = structured_post(
        admin_client.get(url),
        facilities=["CAFE", "WIFI"],
        **{
            "energy_mix-mix-is_green_energy": "on",
            "energy_mix-mix-supplier_name": "Green Power",
            "energy_mix-sources-count": "2",
            "energy_mix-sources-0-source": "SOLAR",
            "energy_mix-sources-0-percentage": "60.5",
            "energy_mix-sources-1-source": "WIND",
            "energy_mix-sources-1-percentage": "39.5",
            "energy_mix-impact-count": "1",
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    location = Location.objects.get(pk=location.pk)
    assert location.facilities == ["CAFE", "WIFI"]
    assert location.energy_mix == {
        "is_green_energy": True,
        "supplier_name": "Green Power",
        "energy_sources": [{"source": "SOLAR", "percentage": 60.5}, {"source": "WIND", "percentage": 39.5}],
    }


def test_a_wrong_row_is_named(admin_client):
    evse = OwnEVSEFactory()
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = structured_post(
        admin_client.get(url),
        **{"images-count": "1", "images-0-url": "not a url", "images-0-category": "CHARGER", "images-0-type": "png"},
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert errors_of(response)["images"] == ["Not valid OCPI:", "url: must be an absolute http(s) URL"]
