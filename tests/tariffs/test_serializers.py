"""Tariff validation (roaming.tariffs.ocpi.serializers) and rendering (roaming.tariffs.ocpi.render)."""

from decimal import Decimal

import pytest
from rest_framework.exceptions import ValidationError

from roaming.ocpi.exceptions import flatten_errors
from roaming.tariffs.ocpi.render import jsonable, tariff_to_ocpi
from roaming.tariffs.ocpi.serializers import validate_tariff
from tests.tariffs.factories import TariffFactory, energy_element, tariff_payload


def errors(data, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as info:
        validate_tariff(data, **kwargs)
    return flatten_errors(info.value.detail)


def element(*components, **restrictions):
    out = {"price_components": [dict(zip(("type", "price", "step_size"), c, strict=True)) for c in components]}
    if restrictions:
        out["restrictions"] = restrictions
    return out


def test_valid_tariff_is_normalised():
    data = validate_tariff(
        tariff_payload(
            country_code="de",
            party_id="cpo",
            currency="eur",
            type="regular",
            elements=[
                element(("energy", Decimal("0.25"), 1), day_of_week=["monday", "MONDAY", "Friday"], end_time="24:00")
            ],
            min_price={"excl_vat": Decimal("0.50"), "incl_vat": None},
            tariff_alt_url=None,
            unknown_member="ignored",
        )
    )
    assert (data["country_code"], data["party_id"], data["currency"], data["type"]) == ("DE", "CPO", "EUR", "REGULAR")
    assert data["elements"] == [
        {
            "price_components": [{"type": "ENERGY", "price": "0.25", "step_size": 1}],
            "restrictions": {"end_time": "00:00", "day_of_week": ["MONDAY", "FRIDAY"]},
        }
    ]
    assert data["min_price"] == {"excl_vat": Decimal("0.50")}
    assert "tariff_alt_url" not in data and "unknown_member" not in data


def test_prices_stay_exact_decimals_and_float_noise_is_rounded():
    data = validate_tariff(
        tariff_payload(
            elements=[element(("ENERGY", Decimal("0.1"), 1), ("TIME", 2, 60))],
            max_price={"excl_vat": Decimal("10"), "incl_vat": Decimal("11.000000000000002")},
        )
    )
    assert [c["price"] for c in data["elements"][0]["price_components"]] == ["0.1", "2"]
    assert data["max_price"]["incl_vat"] == Decimal("11.000000")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "EURO"}, "currency: 'EURO' is not an ISO 4217 currency code"),
        ({"currency": None}, "currency: This field is required."),
        ({"last_updated": None}, "last_updated: This field is required."),
        ({"last_updated": "yesterday"}, "last_updated: 'yesterday' is not an RFC 3339 DateTime"),
        ({"id": "X" * 37}, "id: at most 36 characters allowed"),
        ({"type": "CHEAP"}, "type: 'CHEAP' is not a valid TariffType"),
        ({"elements": []}, "elements: This list may not be empty."),
        ({"elements": None}, "elements: This field is required."),
        ({"tariff_alt_text": [{"language": "en"}]}, "tariff_alt_text[0].text: This field is required."),
        ({"min_price": {"incl_vat": 1}}, "min_price.excl_vat: This field is required."),
        ({"min_price": {"excl_vat": -1}}, "min_price.excl_vat: must not be negative"),
        ({"energy_mix": {"energy_sources": []}}, "energy_mix.is_green_energy: This field is required."),
        ({"start_date_time": "2024-13-01T00:00:00Z"}, "start_date_time: '2024-13-01T00:00:00Z' is not a valid date"),
    ],
)
def test_invalid_tariff_fields_are_named(change, message):
    found = errors({**tariff_payload(), **change})
    assert any(m.startswith(message) for m in found), found


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ({"type": "KWH", "price": 1, "step_size": 1}, "type: 'KWH' is not a valid TariffDimensionType"),
        ({"type": "ENERGY", "step_size": 1}, "price: This field is required."),
        ({"type": "ENERGY", "price": "a lot", "step_size": 1}, "price: a number is required"),
        ({"type": "ENERGY", "price": True, "step_size": 1}, "price: a number is required"),
        ({"type": "ENERGY", "price": -0.1, "step_size": 1}, "price: must not be negative"),
        ({"type": "ENERGY", "price": 1}, "step_size: This field is required."),
        ({"type": "ENERGY", "price": 1, "step_size": Decimal("1.5")}, "step_size: A valid integer is required."),
        ({"type": "ENERGY", "price": 1, "step_size": -1}, "step_size: Ensure this value is greater than or equal"),
        ({"type": "ENERGY", "price": 1, "step_size": 1, "vat": 101}, "vat: must not exceed 100"),
    ],
)
def test_invalid_price_component_is_named(component, message):
    found = errors(tariff_payload(elements=[energy_element(), {"price_components": [component]}]))
    assert any(m.startswith(f"elements[1].price_components[0].{message}") for m in found), found


@pytest.mark.parametrize(
    ("restrictions", "message"),
    [
        ({"start_time": "7:00"}, "start_time: '7:00' is not a time in HH:MM 24h format"),
        ({"start_time": "24:00"}, "start_time: '24:00' is not a time in HH:MM 24h format"),
        ({"end_time": "12:60"}, "end_time: '12:60' is not a time"),
        ({"start_date": "2024-1-01"}, "start_date: '2024-1-01' is not a date in YYYY-MM-DD format"),
        ({"end_date": "2023-02-29"}, "end_date: '2023-02-29' is not a calendar date"),
        ({"min_kwh": "x"}, "min_kwh: a number is required"),
        ({"max_duration": 1.5}, "max_duration: A valid integer is required."),
        ({"day_of_week": ["MONDAY", "FUNDAY"]}, "day_of_week[1]: 'FUNDAY' is not a valid DayOfWeek"),
        ({"reservation": "MAYBE"}, "reservation: 'MAYBE' is not a valid ReservationRestrictionType"),
    ],
)
def test_invalid_restrictions_are_named(restrictions, message):
    found = errors(tariff_payload(elements=[energy_element(**restrictions)]))
    assert any(m.startswith(f"elements[0].restrictions.{message}") for m in found), found


def test_reservation_elements_only_have_flat_and_time():
    body = tariff_payload(elements=[energy_element(reservation="RESERVATION")])
    assert errors(body) == [
        "elements[0].price_components[0].type: a reservation element can only have FLAT and TIME components, not ENERGY"
    ]
    ok = validate_tariff(
        tariff_payload(elements=[element(("FLAT", 2, 1), ("TIME", 5, 300), reservation="reservation_expires")])
    )
    assert ok["elements"][0]["restrictions"] == {"reservation": "RESERVATION_EXPIRES"}


def test_sanity_rules_apply_to_our_own_tariffs_only():
    body = tariff_payload(
        elements=[energy_element(min_kwh=20, max_kwh=10, start_date="2024-02-01", end_date="2024-02-01")],
        min_price={"excl_vat": 5},
        max_price={"excl_vat": 4},
        start_date_time="2024-02-01T00:00:00Z",
        end_date_time="2024-01-01T00:00:00Z",
    )
    assert validate_tariff(body)  # a partner's odd-but-harmless tariff is accepted
    found = errors(body, strict=True)
    assert "elements[0].restrictions.max_kwh: must not be lower than min_kwh (20)" in found
    assert "elements[0].restrictions.end_date: must be later than start_date (end_date is exclusive)" in found


def test_sanity_rules_on_the_tariff_itself():
    body = tariff_payload(
        min_price={"excl_vat": 5},
        max_price={"excl_vat": 4},
        start_date_time="2024-02-01T00:00:00Z",
        end_date_time="2024-01-01T00:00:00Z",
    )
    assert sorted(errors(body, strict=True)) == [
        "end_date_time: must be later than start_date_time",
        "max_price: excl_vat must not be lower than min_price.excl_vat",
    ]


def test_not_an_object_is_refused():
    assert errors([tariff_payload()]) == ["expected a Tariff object"]


@pytest.mark.django_db
def test_render_is_strict_and_uses_decimals():
    tariff = TariffFactory(
        tariff_id="T-1",
        type="REGULAR",
        tariff_alt_text=[{"language": "en", "text": "Cheap"}],
        min_price_excl_vat=Decimal("0.50"),
        elements=[
            {
                "price_components": [{"type": "ENERGY", "price": "0.25", "vat": "10.0", "step_size": 1}],
                "restrictions": {"max_power": "16.5", "start_time": "08:00"},
            }
        ],
    )
    data = tariff_to_ocpi(tariff)
    assert list(data) == [
        "country_code",
        "party_id",
        "id",
        "currency",
        "type",
        "tariff_alt_text",
        "min_price",
        "elements",
        "last_updated",
    ]
    assert data["min_price"] == {"excl_vat": Decimal("0.50")}
    component = data["elements"][0]["price_components"][0]
    assert component == {"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("10.0"), "step_size": 1}
    assert all(isinstance(v, Decimal) for v in (component["price"], data["elements"][0]["restrictions"]["max_power"]))
    assert data["last_updated"] == "2024-01-01T12:00:00Z"
    assert jsonable(data)["elements"][0]["price_components"][0]["price"] == 0.25
