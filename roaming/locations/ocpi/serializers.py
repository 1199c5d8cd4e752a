"""Input validation of Locations, EVSEs and Connectors (OCPI 2.2.1 mod_locations.asciidoc, "Object description" and
"Data types").

Parse leniently, emit strictly:

* unknown fields are ignored; ``null`` equals an absent field (cardinality ``?`` and ``*``: "absent or null = not
  set"), so it is dropped before validation;
* enum values are matched case-insensitively and stored in the spec's spelling. This is safe for every enum of the
  module, ConnectorType's mixed-case ``IEC_60309_2_single_16`` included: no two values of one enum differ only in
  case, so the mapping is unambiguous;
* coordinates sent as JSON numbers, or with fewer/more decimals than the regex allows, are normalised to a string
  matching ``-?[0-9]{1,2}\\.[0-9]{5,7}`` (latitude) / ``-?[0-9]{1,3}\\.[0-9]{5,7}`` (longitude);
* unknown values in the informational enum lists (``capabilities``, ``facilities``, ``parking_restrictions``) and in
  ``parking_type`` are dropped instead of sinking the whole Location (a peer on a later OCPI version may send values
  2.2.1 does not know);
* numbers where a string is expected (``"physical_reference": 3``) are accepted as their text.

Nested classes stored as JSON (Hours, EnergyMix, Image, DisplayText, ...) come out of validation as JSON-ready dicts
in the spec's key order, without empty optional fields, DateTimes in the ``Z`` form and numbers as int/float, so the
renderer can emit them untouched. Top-level ``last_updated`` values stay ``datetime`` (they are model columns).

``*PatchSerializer`` validate PATCH bodies (mod_locations.asciidoc, PATCH method): every field optional except
``last_updated``; ``null`` and ``[]`` mean "unchanged" (PATCH cannot remove data); nested objects (``evses``,
``connectors``, ``opening_times``...) present in a PATCH must be complete.
"""

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from rest_framework import serializers

from roaming.locations import choices
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField

MAX_INT = 2_147_483_647  # PositiveIntegerField's upper bound in PostgreSQL

LATITUDE_RE = re.compile(r"-?[0-9]{1,2}\.[0-9]{5,7}")
LONGITUDE_RE = re.compile(r"-?[0-9]{1,3}\.[0-9]{5,7}")
HOUR_MINUTE_RE = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")


# --- fields -----------------------------------------------------------------------------------------------------


class EnumField(serializers.Field):
    """An OCPI enum value, matched case-insensitively, returned in the spec's spelling.

    ``lenient=True`` (optional informational values such as ``parking_type``): an unknown value reads as absent.
    """

    default_error_messages = {"invalid": "'{value}' is not a valid {name}", "type": "expected a string"}

    def __init__(self, enum, *, lenient: bool = False, **kwargs):
        self.enum = enum
        self.lenient = lenient
        self.lookup = {value.upper(): value for value in enum.values}
        if len(self.lookup) != len(enum.values):  # would make case-insensitive matching ambiguous
            raise ValueError(f"{enum.__name__} has values differing only in case")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            if self.lenient:
                return None
            self.fail("type")
        value = self.lookup.get(data.strip().upper())
        if value is None and not self.lenient:
            self.fail("invalid", value=data, name=self.enum.__name__)
        return value

    def to_representation(self, value):
        return value


class EnumListField(serializers.Field):
    """A list (``*``) of an informational enum: case-insensitive, de-duplicated, unknown values dropped.

    Used for Capability, Facility and ParkingRestriction, where one value we do not know must not cost the partner
    its whole Location.
    """

    default_error_messages = {"type": "expected a list of strings"}

    def __init__(self, enum, **kwargs):
        self.enum = enum
        self.lookup = {value.upper(): value for value in enum.values}
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):  # a single value where a list was expected
            data = [data]
        if not isinstance(data, list):
            self.fail("type")
        values: list[str] = []
        for item in data:
            value = self.lookup.get(item.strip().upper()) if isinstance(item, str) else None
            if value is not None and value not in values:
                values.append(value)
        return values

    def to_representation(self, value):
        return value


class CoordinateField(serializers.Field):
    """A GeoLocation ``latitude``/``longitude``: a string matching the spec's regex, within WGS 84 range.

    Numbers and other decimal notations are normalised: rounded to at most 7 decimals, padded to at least 5, and
    shortened further if needed to fit the spec's string length (the spec's regex allows ``-12.3456789``, 11
    characters, for a ``string(10)`` latitude; we keep the length and lose the 7th decimal in that corner case).
    """

    default_error_messages = {
        "invalid": "'{value}' is not a decimal degree value such as {example}",
        "range": "{value} is outside -{limit}..{limit}",
    }

    def __init__(self, *, regex: re.Pattern, limit: int, max_length: int, example: str, **kwargs):
        self.regex = regex
        self.limit = limit
        self.max_length = max_length
        self.example = example
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid", value=data, example=self.example)
        text = data.strip() if isinstance(data, str) else str(data)
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.fail("invalid", value=data, example=self.example)
        if not number.is_finite():
            self.fail("invalid", value=data, example=self.example)
        if abs(number) > self.limit:
            self.fail("range", value=text, limit=self.limit)
        if self.regex.fullmatch(text) and len(text) <= self.max_length:
            return text
        decimals = min(max(-number.as_tuple().exponent, 5), 7)
        while True:
            normalised = f"{number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN):f}"
            if len(normalised) <= self.max_length or decimals == 5:
                break
            decimals -= 1
        if not self.regex.fullmatch(normalised):
            self.fail("invalid", value=data, example=self.example)
        return normalised

    def to_representation(self, value):
        return value


class HourMinuteField(serializers.Field):
    """RegularHours ``HH:MM`` local time. ``24:00`` (a common way to say "until midnight") is accepted as a
    ``period_end`` and stored as ``00:00``, which reads as a wrap to midnight (see ``RegularHoursSerializer``)."""

    default_error_messages = {"invalid": "'{value}' is not a time in HH:MM 24h format such as 08:00"}

    def __init__(self, *, allow_midnight_end: bool = False, **kwargs):
        self.allow_midnight_end = allow_midnight_end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        text = data.strip()
        if self.allow_midnight_end and text == "24:00":
            return "00:00"
        if not HOUR_MINUTE_RE.fullmatch(text):
            self.fail("invalid", value=data)
        return text

    def to_representation(self, value):
        return value


class JsonDateTimeField(OcpiDateTimeField):
    """A DateTime inside a class stored as JSON: parsed leniently, kept as the strict ``Z`` string."""

    def to_internal_value(self, data):
        return format_datetime(super().to_internal_value(data))


class JsonNumberField(OcpiDecimalField):
    """A JSON ``number`` inside a class stored as JSON: int when integral, else float (a float's repr keeps the
    digits the partner sent for OCPI's 4 decimals)."""

    default_error_messages = {**OcpiDecimalField.default_error_messages, "max": "must not exceed {max_value}"}

    def __init__(self, *, max_value: int | None = None, **kwargs):
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.max_value is not None and value > self.max_value:
            self.fail("max", max_value=self.max_value)
        return int(value) if value == value.to_integral_value() else float(value)


def _url(**kwargs) -> OcpiStringField:
    """OCPI ``URL``: string(255). Not checked further: a partner's odd image URL is not worth a rejected Location."""
    return OcpiStringField(255, **kwargs)


def _optional(field_class, *args, **kwargs):
    kwargs.setdefault("required", False)
    if issubclass(field_class, serializers.CharField):
        kwargs.setdefault("allow_blank", True)
    return field_class(*args, **kwargs)


def _duplicates(items: list[dict], key: str) -> list[dict]:
    """Per-item errors for CiString ids repeated in one list (compared case-insensitively), or [] if none."""
    seen: set[str] = set()
    errors: list[dict] = []
    found = False
    for item in items:
        value = item[key].upper()
        if value in seen:
            errors.append({key: [f"duplicate {key} '{item[key]}' (ids are case-insensitive)"]})
            found = True
        else:
            errors.append({})
        seen.add(value)
    return errors if found else []


# --- base classes -----------------------------------------------------------------------------------------------


class OcpiObjectSerializer(serializers.Serializer):
    """Drops ``null`` members before validation: in OCPI an optional field set to null is the same as absent."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if value is not None}
        return super().to_internal_value(data)


class JsonClassSerializer(OcpiObjectSerializer):
    """A nested class stored as JSON: validated into a plain dict without empty optional members."""

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        return {key: value for key, value in validated.items() if value is not None and value != [] and value != ""}


# --- classes (mod_locations.asciidoc "Data types", types.asciidoc DisplayText) -----------------------------------


class DisplayTextSerializer(JsonClassSerializer):
    language = OcpiStringField(2)
    text = OcpiStringField(512)


class GeoLocationSerializer(JsonClassSerializer):
    latitude = CoordinateField(regex=LATITUDE_RE, limit=90, max_length=10, example="51.047599")
    longitude = CoordinateField(regex=LONGITUDE_RE, limit=180, max_length=11, example="3.729944")


class AdditionalGeoLocationSerializer(GeoLocationSerializer):
    name = DisplayTextSerializer(required=False)


class ImageSerializer(JsonClassSerializer):
    url = _url()
    thumbnail = _url(required=False, allow_blank=True)
    category = EnumField(choices.ImageCategory)
    type = CiStringField(4)
    width = serializers.IntegerField(required=False, min_value=0, max_value=99999)
    height = serializers.IntegerField(required=False, min_value=0, max_value=99999)


class BusinessDetailsSerializer(JsonClassSerializer):
    name = OcpiStringField(100)
    website = _url(required=False, allow_blank=True)
    logo = ImageSerializer(required=False)


class RegularHoursSerializer(JsonClassSerializer):
    """``period_end`` "must be later than ``period_begin``", yet partners send periods through midnight
    (22:00-06:00) and the spec does not say what that means (ocpi/ocpi#413, #498). We accept an end at or before
    the begin as a period wrapping past midnight rather than reject the Location."""

    weekday = serializers.IntegerField(min_value=1, max_value=7)
    period_begin = HourMinuteField()
    period_end = HourMinuteField(allow_midnight_end=True)


class ExceptionalPeriodSerializer(JsonClassSerializer):
    period_begin = JsonDateTimeField()
    period_end = JsonDateTimeField()

    def validate(self, attrs):
        # Both are normalised to the same 'Z' form, so string order is time order.
        if attrs["period_end"] <= attrs["period_begin"]:
            raise serializers.ValidationError({"period_end": ["must be later than period_begin"]})
        return attrs


class HoursSerializer(JsonClassSerializer):
    twentyfourseven = serializers.BooleanField()
    regular_hours = RegularHoursSerializer(many=True, required=False)
    exceptional_openings = ExceptionalPeriodSerializer(many=True, required=False)
    exceptional_closings = ExceptionalPeriodSerializer(many=True, required=False)

    def validate(self, attrs):
        if attrs["twentyfourseven"]:
            # regular_hours are "only to be used if twentyfourseven=false": 24/7 wins, emit a consistent object.
            attrs.pop("regular_hours", None)
        elif not attrs.get("regular_hours"):
            raise serializers.ValidationError(
                {"regular_hours": ["at least one RegularHours is required when twentyfourseven is false"]}
            )
        return attrs


class EnergySourceSerializer(JsonClassSerializer):
    source = EnumField(choices.EnergySourceCategory)
    percentage = JsonNumberField(allow_negative=False, max_value=100)


class EnvironmentalImpactSerializer(JsonClassSerializer):
    category = EnumField(choices.EnvironmentalImpactCategory)
    amount = JsonNumberField(allow_negative=False)

    def to_internal_value(self, data):
        # OCPI 2.1.1 called this member ``source``; some 2.2.1 peers still do.
        if isinstance(data, Mapping) and data.get("category") is None and "source" in data:
            data = {**data, "category": data["source"]}
        return super().to_internal_value(data)


class EnergyMixSerializer(JsonClassSerializer):
    is_green_energy = serializers.BooleanField()
    energy_sources = EnergySourceSerializer(many=True, required=False)
    environ_impact = EnvironmentalImpactSerializer(many=True, required=False)
    supplier_name = _optional(OcpiStringField, 64)
    energy_product_name = _optional(OcpiStringField, 64)


class StatusScheduleSerializer(JsonClassSerializer):
    period_begin = JsonDateTimeField()
    period_end = JsonDateTimeField(required=False)
    status = EnumField(choices.Status)


class PublishTokenTypeSerializer(JsonClassSerializer):
    uid = _optional(CiStringField, 36)
    type = EnumField(choices.TokenType, required=False)
    visual_number = _optional(OcpiStringField, 64)
    issuer = _optional(OcpiStringField, 64)
    group_id = _optional(CiStringField, 36)

    def validate(self, attrs):
        if not (attrs.get("uid") or attrs.get("visual_number") or attrs.get("group_id")):
            raise serializers.ValidationError("at least one of uid, visual_number or group_id is required")
        errors = {}
        if attrs.get("uid") and not attrs.get("type"):
            errors["type"] = ["required when uid is set"]
        if attrs.get("visual_number") and not attrs.get("issuer"):
            errors["issuer"] = ["required when visual_number is set"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- objects ----------------------------------------------------------------------------------------------------


class ConnectorSerializer(OcpiObjectSerializer):
    id = CiStringField(36)
    standard = EnumField(choices.ConnectorType)
    format = EnumField(choices.ConnectorFormat)
    power_type = EnumField(choices.PowerType)
    max_voltage = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    max_amperage = serializers.IntegerField(min_value=0, max_value=MAX_INT)
    max_electric_power = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)
    tariff_ids = serializers.ListField(child=CiStringField(36), required=False)
    terms_and_conditions = _url(required=False, allow_blank=True)
    last_updated = OcpiDateTimeField()


class EvseSerializer(OcpiObjectSerializer):
    uid = CiStringField(36)
    evse_id = _optional(CiStringField, 48)
    status = EnumField(choices.Status)
    status_schedule = StatusScheduleSerializer(many=True, required=False)
    capabilities = EnumListField(choices.Capability)
    connectors = ConnectorSerializer(many=True, allow_empty=False)
    floor_level = _optional(OcpiStringField, 4)
    coordinates = GeoLocationSerializer(required=False)
    physical_reference = _optional(OcpiStringField, 16)
    directions = DisplayTextSerializer(many=True, required=False)
    parking_restrictions = EnumListField(choices.ParkingRestriction)
    images = ImageSerializer(many=True, required=False)
    last_updated = OcpiDateTimeField()

    def validate_connectors(self, value):
        if errors := _duplicates(value, "id"):
            raise serializers.ValidationError(errors)
        return value


class LocationSerializer(OcpiObjectSerializer):
    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    id = CiStringField(36)
    publish = serializers.BooleanField()
    publish_allowed_to = PublishTokenTypeSerializer(many=True, required=False)
    name = _optional(OcpiStringField, 255)
    address = OcpiStringField(255)
    city = OcpiStringField(45)
    postal_code = _optional(OcpiStringField, 10)
    state = _optional(OcpiStringField, 45)
    country = OcpiStringField(3)
    coordinates = GeoLocationSerializer()
    related_locations = AdditionalGeoLocationSerializer(many=True, required=False)
    parking_type = EnumField(choices.ParkingType, lenient=True, required=False)
    evses = EvseSerializer(many=True, required=False)
    directions = DisplayTextSerializer(many=True, required=False)
    operator = BusinessDetailsSerializer(required=False)
    suboperator = BusinessDetailsSerializer(required=False)
    owner = BusinessDetailsSerializer(required=False)
    facilities = EnumListField(choices.Facility)
    time_zone = OcpiStringField(255)
    opening_times = HoursSerializer(required=False)
    charging_when_closed = serializers.BooleanField(required=False)
    images = ImageSerializer(many=True, required=False)
    energy_mix = EnergyMixSerializer(required=False)
    last_updated = OcpiDateTimeField()

    def validate_evses(self, value):
        if errors := _duplicates(value, "uid"):
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs):
        # publish_allowed_to "may only be used when publish is false"; with publish true the list means nothing.
        if attrs.get("publish") is True:
            attrs.pop("publish_allowed_to", None)
        return attrs


# --- PATCH ------------------------------------------------------------------------------------------------------


class PatchMixin:
    """PATCH (mod_locations.asciidoc, PATCH method): only ``last_updated`` is required ("Any request to the PATCH
    method SHALL contain the last_updated field"); ``null`` and ``[]`` are treated as absent, i.e. unchanged, since a
    PATCH "is not suitable to remove information shared earlier" (and for ``*`` lists null, [] and absent are
    equivalent). Objects nested in a PATCH are validated as complete objects (the root is not DRF-partial)."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if name != "last_updated":
                field.required = False
        return fields

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if value is not None and value != []}
        return super().to_internal_value(data)


class ConnectorPatchSerializer(PatchMixin, ConnectorSerializer):
    pass


class EvsePatchSerializer(PatchMixin, EvseSerializer):
    pass


class LocationPatchSerializer(PatchMixin, LocationSerializer):
    def validate(self, attrs):
        return attrs  # publish and publish_allowed_to may arrive in different PATCHes; keep what was sent
