"""Input validation of Tariffs (OCPI 2.2.1 mod_tariffs.asciidoc, "Object description" and "Data types").

Parse leniently, emit strictly:

* unknown fields are ignored; ``null`` equals an absent field (cardinality ``?`` and ``*``), so it is dropped before
  validation;
* enum values are matched case-insensitively and stored in the spec's spelling (``day_of_week: ["monday"]``);
  a single ``day_of_week`` string is read as a one-item list;
* ``end_time: "24:00"`` (a common way to write "until midnight") is stored as the spec's ``00:00``;
* numbers are ``Decimal`` end to end (the OCPI parser reads JSON with ``parse_float=Decimal``). OCPI numbers carry
  4 decimals (types.asciidoc, number); digits beyond the 6th are float noise from a sender computing in binary
  (``0.55000000000000004``) and are rounded half-even to 6 decimals. Inside ``elements`` numbers are kept as
  decimal strings (JSON columns cannot hold a ``Decimal``), ``min_price``/``max_price`` as ``Decimal`` (columns).

Rules from the spec enforced for every tariff: required fields and cardinalities, the regexes of ``start_time``/
``end_time`` (``([0-1][0-9]|2[0-3]):[0-5][0-9]``) and ``start_date``/``end_date``
(``([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])``, and a real calendar date), integer ``step_size``,
``min_duration`` and ``max_duration``, a VAT percentage within 0..100, and "a reservation can only have FLAT and
TIME" (TariffRestrictions, ``reservation``).

Sanity rules the spec does not state (a minimum above its maximum, an empty date window, ``min_price`` above
``max_price``, a validity window ending before it starts) are checked only with ``context={"strict": True}``, i.e.
for our own tariffs: a partner's element that can never apply costs nothing, rejecting its whole tariff would leave
drivers without prices.
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

from rest_framework import serializers

from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField
from roaming.ocpi.serializers import (
    DisplayTextSerializer,
    EnergyMixSerializer,
    EnumField,
    HourMinuteField,
    JsonClassSerializer,
    OcpiObjectSerializer,
    validate_reused,
)
from roaming.tariffs import choices

MAX_INT = 2_147_483_647
MAX_AMOUNT = Decimal(10) ** 12  # fits the price columns (18 digits, 6 decimals)
SIX_DECIMALS = Decimal("0.000001")
DATE_RE = re.compile(r"([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")

# Restriction pairs checked in strict mode (min must not exceed max).
_RANGES = (
    ("min_kwh", "max_kwh"),
    ("min_current", "max_current"),
    ("min_power", "max_power"),
    ("min_duration", "max_duration"),
)


def _strict(serializer: serializers.Field) -> bool:
    return bool(serializer.context.get("strict"))


def canonical_decimal(value: Decimal) -> Decimal:
    """At most 6 decimals (more is float noise, see the module docstring); ``-0`` becomes ``0``."""
    if value.as_tuple().exponent < -6:
        value = value.quantize(SIX_DECIMALS, rounding=ROUND_HALF_EVEN)
    return abs(value) if value == 0 else value


def decimal_text(value: Decimal) -> str:
    """The decimal string stored in JSON: positional notation, the digits as sent (``2.00`` stays ``2.00``)."""
    return format(value, "f")


class AmountField(OcpiDecimalField):
    """An OCPI ``number`` that is a price, a percentage or a physical bound: a ``Decimal`` (or its text with
    ``as_text=True``, for values stored inside JSON), non-negative unless told otherwise."""

    default_error_messages = {
        **OcpiDecimalField.default_error_messages,
        "max": "must not exceed {max_value}",
        "too_large": "must be smaller than 10^12",
    }

    def __init__(self, *, as_text: bool = False, max_value: int | None = None, allow_negative: bool = False, **kw):
        self.as_text = as_text
        self.max_value = max_value
        super().__init__(allow_negative=allow_negative, **kw)

    def to_internal_value(self, data):
        value = canonical_decimal(super().to_internal_value(data))
        if abs(value) >= MAX_AMOUNT:
            self.fail("too_large")
        if self.max_value is not None and value > self.max_value:
            self.fail("max", max_value=self.max_value)
        return decimal_text(value) if self.as_text else value


class DateField(serializers.Field):
    """TariffRestrictions ``start_date``/``end_date``: ``YYYY-MM-DD`` (the spec's regex) naming a real date."""

    default_error_messages = {
        "invalid": "'{value}' is not a date in YYYY-MM-DD format such as 2015-12-24",
        "calendar": "'{value}' is not a calendar date",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not DATE_RE.fullmatch(data.strip()):
            self.fail("invalid", value=data)
        text = data.strip()
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            self.fail("calendar", value=data)
        return text

    def to_representation(self, value):
        return value


class DayOfWeekListField(serializers.ListField):
    """``day_of_week`` (DayOfWeek ``*``): case-insensitive, de-duplicated, a lone string read as a list. An unknown
    day is an error, not dropped: it would change when the element applies."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(child=EnumField(choices.DayOfWeek), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        values = super().to_internal_value(data)
        return list(dict.fromkeys(values))


class CurrencyField(serializers.CharField):
    """``currency``: string(3), an ISO 4217 code; accepted in any case, stored upper-case."""

    default_error_messages = {"code": "'{value}' is not an ISO 4217 currency code such as EUR"}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not CURRENCY_RE.fullmatch(value):
            self.fail("code", value=data)
        return value.upper()


# --- classes ----------------------------------------------------------------------------------------------------


class PriceSerializer(OcpiObjectSerializer):
    """Price class (types.asciidoc): ``excl_vat`` required, ``incl_vat`` optional; Decimals (model columns)."""

    excl_vat = AmountField()
    incl_vat = AmountField(required=False)

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        return {key: value for key, value in validated.items() if value is not None}


class PriceComponentSerializer(JsonClassSerializer):
    """PriceComponent class: ``price`` per unit excl. VAT; ``vat`` a percentage, absent meaning "no VAT applicable"
    (different from 0); ``step_size`` an int (ENERGY: Wh, TIME/PARKING_TIME: s, FLAT: ignored; 0 is accepted, the
    free-of-charge example uses it)."""

    type = EnumField(choices.TariffDimensionType)
    price = AmountField(as_text=True)
    vat = AmountField(as_text=True, required=False, max_value=100)
    step_size = serializers.IntegerField(min_value=0, max_value=MAX_INT)


class TariffRestrictionsSerializer(JsonClassSerializer):
    """TariffRestrictions class: every member optional, all AND-ed."""

    start_time = HourMinuteField(required=False)
    end_time = HourMinuteField(required=False, allow_midnight_end=True)
    start_date = DateField(required=False)
    end_date = DateField(required=False)
    min_kwh = AmountField(as_text=True, required=False)
    max_kwh = AmountField(as_text=True, required=False)
    min_current = AmountField(as_text=True, required=False)
    max_current = AmountField(as_text=True, required=False)
    min_power = AmountField(as_text=True, required=False)
    max_power = AmountField(as_text=True, required=False)
    min_duration = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)
    max_duration = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)
    day_of_week = DayOfWeekListField()
    reservation = EnumField(choices.ReservationRestrictionType, required=False)

    def validate(self, attrs):
        if not _strict(self):
            return attrs
        errors = {}
        for low, high in _RANGES:
            if (
                attrs.get(low) is not None
                and attrs.get(high) is not None
                and Decimal(attrs[low]) > Decimal(attrs[high])
            ):
                errors[high] = [f"must not be lower than {low} ({attrs[low]})"]
        # end_date is exclusive: a window ending on (or before) its first day never applies.
        if attrs.get("start_date") and attrs.get("end_date") and attrs["end_date"] <= attrs["start_date"]:
            errors["end_date"] = ["must be later than start_date (end_date is exclusive)"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TariffElementSerializer(JsonClassSerializer):
    """TariffElement class: one or more PriceComponents sharing one optional set of restrictions."""

    price_components = PriceComponentSerializer(many=True, allow_empty=False)
    restrictions = TariffRestrictionsSerializer(required=False)

    def validate(self, attrs):
        restrictions = attrs.get("restrictions")
        if not restrictions:
            attrs.pop("restrictions", None)  # {} restricts nothing: emit the element without it
        elif restrictions.get("reservation"):
            # "A reservation can only have: FLAT and TIME TariffDimensions" (TariffRestrictions, reservation).
            allowed = {choices.TariffDimensionType.FLAT, choices.TariffDimensionType.TIME}
            errors = [
                {"type": [f"a reservation element can only have FLAT and TIME components, not {component['type']}"]}
                if component["type"] not in allowed
                else {}
                for component in attrs["price_components"]
            ]
            if any(errors):
                raise serializers.ValidationError({"price_components": errors})
        return attrs


# --- the object -------------------------------------------------------------------------------------------------


class TariffSerializer(OcpiObjectSerializer):
    """Tariff object (mod_tariffs.asciidoc). Validated data: ``country_code``/``party_id`` upper-case, ``id`` as
    sent, ``elements``/``tariff_alt_text``/``energy_mix`` JSON-ready, prices and DateTimes as Python values."""

    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    id = CiStringField(36)
    currency = CurrencyField()
    type = EnumField(choices.TariffType, required=False)
    tariff_alt_text = DisplayTextSerializer(many=True, required=False)
    tariff_alt_url = OcpiStringField(255, required=False, allow_blank=True)
    min_price = PriceSerializer(required=False)
    max_price = PriceSerializer(required=False)
    elements = TariffElementSerializer(many=True, allow_empty=False)
    start_date_time = OcpiDateTimeField(required=False)
    end_date_time = OcpiDateTimeField(required=False)
    energy_mix = EnergyMixSerializer(required=False)
    last_updated = OcpiDateTimeField()

    def validate_id(self, value):
        if not value.strip():
            raise serializers.ValidationError("must not be empty")
        return value

    def validate(self, attrs):
        if not _strict(self):
            return attrs
        errors = {}
        start, end = attrs.get("start_date_time"), attrs.get("end_date_time")
        if start and end and end <= start:
            errors["end_date_time"] = ["must be later than start_date_time"]
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low and high:
            for part in ("excl_vat", "incl_vat"):
                if low.get(part) is not None and high.get(part) is not None and low[part] > high[part]:
                    errors.setdefault("max_price", []).append(f"{part} must not be lower than min_price.{part}")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def validate_tariff(data, *, strict: bool = False) -> dict:
    """Validate one OCPI Tariff dict; return the validated data or raise DRF ``ValidationError`` (whose detail
    ``roaming.ocpi.exceptions.flatten_errors`` turns into ``elements[0].price_components[1].price: ...``)."""
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": ["expected a Tariff object"]})
    return dict(validate_reused(TariffSerializer, data, strict=strict))
