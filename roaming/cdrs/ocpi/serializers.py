"""Input validation of CDRs (OCPI 2.2.1 mod_cdrs.asciidoc, "Object description" and "Data types").

Parse leniently, emit strictly: unknown fields are ignored, ``null`` equals absent, enums match case-insensitively,
numbers are ``Decimal``. What the spec requires is required: a CdrToken names the eMSP that owns it
(``country_code``/``party_id``, added in 2.2.1), CdrLocation ``country`` is ISO 3166-1 alpha-3, ``address`` and
``state`` have CdrLocation's shorter limits (45 and 20), a CDR has at least one charging period, a normal CDR id is at
most 36 characters and a credit CDR names the CDR it credits.

``validate_cdr(data, lenient=True)`` is for finance accepting a quarantined CDR by hand: the defects real CPO systems
send (a CdrToken without its party, an alpha-2 country, no charging periods, an over-long address) are let through,
the country converted to alpha-3; anything else still refuses.
"""

import re
from collections.abc import Mapping
from decimal import Decimal

from rest_framework import serializers

from roaming.cdrs import choices
from roaming.locations.choices import ConnectorFormat, ConnectorType, PowerType, TokenType
from roaming.locations.evse_id import ISO_3166_ALPHA2_TO_ALPHA3
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField
from roaming.ocpi.serializers import (
    EnumField,
    GeoLocationSerializer,
    JsonClassSerializer,
    JsonDateTimeField,
    JsonNumberField,
    OcpiObjectSerializer,
    validate_reused,
)
from roaming.tariffs.ocpi.serializers import AmountField, CurrencyField, TariffSerializer

ALPHA3_RE = re.compile(r"[A-Z]{3}")
MAX_VOLUME = Decimal(10) ** 12


def _lenient(field: serializers.Field) -> bool:
    return bool(field.context.get("lenient"))


class CdrPriceSerializer(OcpiObjectSerializer):
    """Price class (types.asciidoc); negative amounts are allowed: a credit CDR negates ``total_cost``."""

    excl_vat = AmountField(allow_negative=True)
    incl_vat = AmountField(allow_negative=True, required=False)

    def to_internal_value(self, data):
        return {key: value for key, value in super().to_internal_value(data).items() if value is not None}


class CdrTokenSerializer(JsonClassSerializer):
    """CdrToken class (2.2.1): the eMSP's party, the token uid and type, the contract id."""

    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    uid = CiStringField(36)
    type = EnumField(TokenType)
    contract_id = CiStringField(36)

    def get_fields(self):
        fields = super().get_fields()
        if _lenient(self):
            fields["country_code"].required = fields["party_id"].required = False
        return fields


class CdrCountryField(serializers.CharField):
    """CdrLocation ``country``: ISO 3166-1 alpha-3 (alpha-2 only when accepting by hand, converted)."""

    default_error_messages = {
        "alpha3": "'{value}' is not an ISO 3166-1 alpha-3 country code such as NLD",
        "unknown": "'{value}' is not an ISO 3166-1 country code",
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip().upper()
        if ALPHA3_RE.fullmatch(value):
            return value
        if _lenient(self) and value in ISO_3166_ALPHA2_TO_ALPHA3:
            return ISO_3166_ALPHA2_TO_ALPHA3[value]
        self.fail("alpha3" if len(value) == 2 and value in ISO_3166_ALPHA2_TO_ALPHA3 else "unknown", value=data)


class CdrLocationSerializer(JsonClassSerializer):
    """CdrLocation class: the location, EVSE and connector as they were at session start."""

    id = CiStringField(36)
    name = OcpiStringField(255, required=False, allow_blank=True)
    address = OcpiStringField(45)
    city = OcpiStringField(45)
    postal_code = OcpiStringField(10, required=False, allow_blank=True)
    state = OcpiStringField(20, required=False, allow_blank=True)
    country = CdrCountryField()
    coordinates = GeoLocationSerializer()
    evse_uid = CiStringField(36)
    evse_id = CiStringField(48)
    connector_id = CiStringField(36)
    connector_standard = EnumField(ConnectorType)
    connector_format = EnumField(ConnectorFormat)
    connector_power_type = EnumField(PowerType)

    def get_fields(self):
        fields = super().get_fields()
        if _lenient(self):  # real CPO systems copy Location's longer address/state into CDRs
            fields["address"].ocpi_max_length = 255
            fields["state"].ocpi_max_length = 255
        return fields


class CdrDimensionSerializer(JsonClassSerializer):
    """CdrDimension class."""

    type = EnumField(choices.CdrDimensionType)
    volume = JsonNumberField()


class ChargingPeriodSerializer(JsonClassSerializer):
    """ChargingPeriod class: runs from its start until the next period starts (the last: until the CDR ends)."""

    start_date_time = JsonDateTimeField()
    dimensions = CdrDimensionSerializer(many=True, allow_empty=False)
    tariff_id = CiStringField(36, required=False)


class SignedValueSerializer(JsonClassSerializer):
    """SignedValue class (2.2.1 erratum: plain_data and signed_data up to 5000 characters)."""

    nature = CiStringField(32)
    plain_data = OcpiStringField(5000)
    signed_data = OcpiStringField(5000)


class SignedDataSerializer(JsonClassSerializer):
    """SignedData class: passed through as the CSMS/CPO supplied it (Eichrecht etc.)."""

    encoding_method = CiStringField(36)
    encoding_method_version = serializers.IntegerField(required=False)
    public_key = OcpiStringField(512, required=False, allow_blank=True)
    signed_values = SignedValueSerializer(many=True, allow_empty=False)
    url = OcpiStringField(512, required=False, allow_blank=True)


class CdrSerializer(OcpiObjectSerializer):
    """CDR object (mod_cdrs.asciidoc). Validated data: nested classes JSON-ready, prices ``Decimal``, DateTimes
    aware, ``tariffs`` as validated Tariff dicts (``cdr_tariffs_json`` makes them JSON)."""

    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    id = CiStringField(39)
    start_date_time = OcpiDateTimeField()
    end_date_time = OcpiDateTimeField()
    session_id = CiStringField(36, required=False)
    cdr_token = CdrTokenSerializer()
    auth_method = EnumField(choices.AuthMethod)
    authorization_reference = CiStringField(36, required=False)
    cdr_location = CdrLocationSerializer()
    meter_id = OcpiStringField(255, required=False, allow_blank=True)
    currency = CurrencyField()
    tariffs = TariffSerializer(many=True, required=False)
    charging_periods = ChargingPeriodSerializer(many=True)
    signed_data = SignedDataSerializer(required=False)
    total_cost = CdrPriceSerializer()
    total_fixed_cost = CdrPriceSerializer(required=False)
    total_energy = OcpiDecimalField()
    total_energy_cost = CdrPriceSerializer(required=False)
    total_time = OcpiDecimalField(allow_negative=False)
    total_time_cost = CdrPriceSerializer(required=False)
    total_parking_time = OcpiDecimalField(allow_negative=False, required=False)
    total_parking_cost = CdrPriceSerializer(required=False)
    total_reservation_cost = CdrPriceSerializer(required=False)
    remark = OcpiStringField(255, required=False, allow_blank=True)
    invoice_reference_id = CiStringField(39, required=False)
    credit = serializers.BooleanField(required=False)
    credit_reference_id = CiStringField(39, required=False)
    home_charging_compensation = serializers.BooleanField(required=False)
    last_updated = OcpiDateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["charging_periods"].allow_empty = _lenient(self)
        return fields

    def validate(self, attrs):
        errors = {}
        if not attrs["id"].strip():
            errors["id"] = ["must not be empty"]
        if attrs.get("credit"):
            if not attrs.get("credit_reference_id"):
                errors["credit_reference_id"] = ["is required for a credit CDR (credit: true)"]
        elif len(attrs["id"]) > 36:
            errors["id"] = ["a normal (non-credit) CDR id has at most 36 characters"]
        if attrs["end_date_time"] < attrs["start_date_time"] and attrs["end_date_time"].year != 1970:
            # 1970-01-01T00:00:00Z is the spec's "end unknown" value (CDR object, end_date_time).
            errors["end_date_time"] = ["must not be earlier than start_date_time"]
        for name in ("total_energy", "total_time", "total_parking_time"):
            if attrs.get(name) is not None and abs(attrs[name]) >= MAX_VOLUME:
                errors[name] = ["must be smaller than 10^12"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def validate_cdr(data, *, lenient: bool = False) -> dict:
    """Validate one OCPI CDR dict; return the validated data or raise DRF ``ValidationError`` (flattened by
    ``roaming.ocpi.exceptions.flatten_errors`` into ``cdr_location.country: ...``)."""
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": ["expected a CDR object"]})
    return dict(validate_reused(CdrSerializer, data, lenient=lenient))
