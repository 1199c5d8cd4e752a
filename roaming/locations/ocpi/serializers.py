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
The fields, base classes and classes shared with other modules (DisplayText, GeoLocation, Image, BusinessDetails,
EnergyMix) live in ``roaming.ocpi.serializers``.

``*PatchSerializer`` validate PATCH bodies (mod_locations.asciidoc, PATCH method): every field optional except
``last_updated``; ``null`` and ``[]`` mean "unchanged" (PATCH cannot remove data); nested objects (``evses``,
``connectors``, ``opening_times``...) present in a PATCH must be complete.
"""

from collections.abc import Mapping

from rest_framework import serializers

from roaming.locations import choices
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiStringField
from roaming.ocpi.serializers import (
    BusinessDetailsSerializer,
    DisplayTextSerializer,
    EnergyMixSerializer,
    EnumField,
    EnumListField,
    GeoLocationSerializer,
    HourMinuteField,
    ImageSerializer,
    JsonClassSerializer,
    JsonDateTimeField,
    OcpiObjectSerializer,
    _optional,
    _url,
)

MAX_INT = 2_147_483_647  # PositiveIntegerField's upper bound in PostgreSQL


# --- helpers ----------------------------------------------------------------------------------------------------


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


# --- classes (mod_locations.asciidoc "Data types") --------------------------------------------------------------------


class AdditionalGeoLocationSerializer(GeoLocationSerializer):
    name = DisplayTextSerializer(required=False)


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
