"""Shapes of the internal CSMS API (not OCPI: plain DRF conventions). Field names follow OCPI where the thing is
an OCPI thing (``evse_id``, ``uid``, ``connectors[].id``); values are validated with the same rules as the CSV
import, leniently (enum values in any case, coordinates with too few decimals) and stored strictly."""

import contextlib

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roaming.locations.choices import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    Facility,
    ParkingType,
    PowerType,
    Status,
)
from roaming.locations.evse_id import EvseIdError, country_alpha3, evse_id_parse
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services.imports import enum_value, geo_coordinate, time_zone_name
from roaming.ocpi.fields import validate_cistring, validate_ocpi_string


class EnumField(serializers.ChoiceField):
    """An OCPI enum: any case accepted, the exact wire value stored (``iec_62196_t2`` -> ``IEC_62196_T2``)."""

    def __init__(self, choices_class, **kwargs):
        self.choices_class = choices_class
        super().__init__(choices=choices_class.choices, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            # The import's parser (one per value kind); an unknown value gets DRF's own "not a valid choice" answer.
            with contextlib.suppress(ValueError):
                data = enum_value(data, self.choices_class)
        return super().to_internal_value(data)


class OcpiTextField(serializers.CharField):
    """``string(n)`` (or ``CiString(n)`` with ``ci=True``) from types.asciidoc, trimmed."""

    def __init__(self, max_length: int, *, ci: bool = False, **kwargs):
        self.ocpi_max_length, self.ci = max_length, ci
        super().__init__(max_length=max_length, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            (validate_cistring if self.ci else validate_ocpi_string)(value, self.ocpi_max_length)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)
        return value


@extend_schema_field({"type": "string", "example": "52.37403"})
class CoordinateField(serializers.Field):
    """A GeoLocation coordinate: a string or number; padded to 5 decimals, rounded to 7."""

    def __init__(self, axis: str, **kwargs):
        self.axis = axis
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            raise serializers.ValidationError("a decimal number of degrees is required")
        try:
            return geo_coordinate(str(data), axis=self.axis)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def to_representation(self, value):
        return value


class CoordinatesSerializer(serializers.Serializer):
    latitude = CoordinateField("latitude")
    longitude = CoordinateField("longitude")


class LocationWriteSerializer(serializers.Serializer):
    """A location's own fields (no EVSEs). Optional fields left out take their defaults; ``time_zone`` left out
    keeps the stored zone (a new location gets its country's zone)."""

    name = OcpiTextField(255, required=False, allow_blank=True, default="")
    address = OcpiTextField(255)
    city = OcpiTextField(45)
    postal_code = OcpiTextField(10, required=False, allow_blank=True, default="")
    state = OcpiTextField(45, required=False, allow_blank=True, default="")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 or alpha-3; stored as alpha-3")
    coordinates = CoordinatesSerializer()
    time_zone = serializers.CharField(required=False, help_text="IANA name such as Europe/Amsterdam")
    parking_type = EnumField(ParkingType, required=False, allow_blank=True, default="")
    facilities = serializers.ListField(child=EnumField(Facility), required=False, default=list)
    publish = serializers.BooleanField(required=False, default=True)
    charging_when_closed = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_country(self, value):
        try:
            return country_alpha3(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def validate_time_zone(self, value):
        try:
            return time_zone_name(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def validate_facilities(self, value):
        return list(dict.fromkeys(value))

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        coordinates = values.pop("coordinates")
        return {**values, "latitude": coordinates["latitude"], "longitude": coordinates["longitude"]}


class ConnectorWriteSerializer(serializers.Serializer):
    id = OcpiTextField(36, ci=True, source="connector_id", help_text="Unique within the EVSE")
    standard = EnumField(ConnectorType)
    format = EnumField(ConnectorFormat)
    power_type = EnumField(PowerType)
    max_voltage = serializers.IntegerField(min_value=1)
    max_amperage = serializers.IntegerField(min_value=1)
    max_electric_power = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    tariff_ids = serializers.ListField(child=OcpiTextField(36, ci=True), required=False, default=list)
    terms_and_conditions = serializers.URLField(max_length=255, required=False, allow_blank=True, default="")


class ChargerWriteSerializer(serializers.Serializer):
    """PUT body of a charger: the EVSE, its connectors (all of them: those left out are deleted) and where it is."""

    evse_id = serializers.CharField(help_text="eMI3 / ISO 15118 EVSE ID such as NL*EXA*E12345")
    uid = OcpiTextField(
        36,
        ci=True,
        required=False,
        help_text="OCPI EVSE.uid; immutable. Default for a new charger: derived from the EVSE ID",
    )
    location_id = OcpiTextField(36, ci=True)
    location = LocationWriteSerializer(
        required=False, help_text="Needed only when location_id does not exist yet; when sent, also updates it"
    )
    status = EnumField(Status, required=False, help_text="Left out: unchanged (UNKNOWN for a new charger)")
    capabilities = serializers.ListField(child=EnumField(Capability), required=False, default=list)
    physical_reference = OcpiTextField(16, required=False, allow_blank=True, default="")
    floor_level = OcpiTextField(4, required=False, allow_blank=True, default="")
    connectors = ConnectorWriteSerializer(many=True, allow_empty=False)

    def validate_evse_id(self, value):
        try:
            return evse_id_parse(value).value
        except EvseIdError as exc:
            raise serializers.ValidationError(exc.reason)

    def validate_capabilities(self, value):
        return list(dict.fromkeys(value))

    def validate_connectors(self, value):
        seen = set()
        for item in value:
            key = item["connector_id"].upper()
            if key in seen:
                raise serializers.ValidationError(f"connector id '{item['connector_id']}' appears twice")
            seen.add(key)
        return value


class ChargerStatusSerializer(serializers.Serializer):
    status = EnumField(Status)
    timestamp = serializers.DateTimeField(
        required=False, help_text="When the status changed (default: now). Older than the last change: ignored"
    )


# --- Responses ---------------------------------------------------------------------------------------------------


class ConnectorReadSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="connector_id")

    class Meta:
        model = Connector
        fields = [
            "id",
            "standard",
            "format",
            "power_type",
            "max_voltage",
            "max_amperage",
            "max_electric_power",
            "tariff_ids",
            "terms_and_conditions",
            "last_updated",
        ]


class ChargerReadSerializer(serializers.ModelSerializer):
    location_id = serializers.CharField(source="location.location_id")
    connectors = ConnectorReadSerializer(many=True)

    class Meta:
        model = EVSE
        fields = [
            "internal_id",
            "evse_id",
            "uid",
            "location_id",
            "status",
            "capabilities",
            "physical_reference",
            "floor_level",
            "connectors",
            "last_updated",
        ]


class EvseSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = EVSE
        fields = ["uid", "evse_id", "internal_id", "status", "last_updated"]


class CoordinatesReadSerializer(serializers.Serializer):
    latitude = serializers.CharField()
    longitude = serializers.CharField()


class LocationReadSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="location_id")
    coordinates = CoordinatesReadSerializer(source="*")
    evses = EvseSummarySerializer(many=True)

    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "address",
            "city",
            "postal_code",
            "state",
            "country",
            "coordinates",
            "time_zone",
            "parking_type",
            "facilities",
            "publish",
            "charging_when_closed",
            "evses",
            "last_updated",
        ]
