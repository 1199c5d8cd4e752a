"""Validation of Sessions a CPO partner sends us (mod_sessions.asciidoc, "Session Object", "ChargingPreferences").

Parse leniently (lower-case codes, ``+00:00`` timestamps, numeric strings, ``RESERVED`` for ``RESERVATION``), keep
what we store strict. ``validate_session`` answers a PUT, ``validate_session_patch`` a PATCH (any subset of fields,
``last_updated`` mandatory: transport_and_format.asciidoc, PATCH).
"""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField
from roaming.ocpi.serializers import EnumField, JsonClassSerializer, JsonDateTimeField, JsonNumberField, validate_reused
from roaming.sessions.choices import (
    AuthMethod,
    CdrDimensionType,
    ProfileType,
    SessionStatus,
    TokenType,
)


class SessionStatusField(EnumField):
    """SessionStatus; the spec's prose says ``RESERVED`` where the enum says ``RESERVATION`` (ocpi/ocpi#533)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.upper() == "RESERVED":
            data = SessionStatus.RESERVATION
        return super().to_internal_value(data)


class CdrTokenSerializer(JsonClassSerializer):
    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    uid = CiStringField(36)
    type = EnumField(TokenType)
    contract_id = CiStringField(36)


class CdrDimensionSerializer(JsonClassSerializer):
    type = EnumField(CdrDimensionType)
    volume = JsonNumberField()


class ChargingPeriodSerializer(JsonClassSerializer):
    start_date_time = JsonDateTimeField()
    dimensions = CdrDimensionSerializer(many=True, allow_empty=False)
    tariff_id = CiStringField(36, required=False)


class PriceSerializer(JsonClassSerializer):
    excl_vat = OcpiDecimalField()
    incl_vat = OcpiDecimalField(required=False)


class SessionSerializer(JsonClassSerializer):
    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    id = CiStringField(36)
    start_date_time = OcpiDateTimeField()
    end_date_time = OcpiDateTimeField(required=False)
    kwh = OcpiDecimalField()
    cdr_token = CdrTokenSerializer()
    auth_method = EnumField(AuthMethod)
    authorization_reference = CiStringField(36, required=False)
    location_id = CiStringField(36)
    evse_uid = CiStringField(36)
    connector_id = CiStringField(36)
    meter_id = OcpiStringField(255, required=False, allow_blank=True)
    currency = OcpiStringField(3)
    charging_periods = ChargingPeriodSerializer(many=True, required=False)
    total_cost = PriceSerializer(required=False)
    status = SessionStatusField(SessionStatus)
    last_updated = OcpiDateTimeField()

    def validate_currency(self, value):
        if len(value) != 3 or not value.isalpha():
            raise ValidationError("an ISO 4217 code (3 letters) is required")
        return value.upper()


class SessionPatchSerializer(SessionSerializer):
    """Any subset of a Session's fields; ``last_updated`` is required (ocpi/ocpi#355)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)

    def validate(self, attrs):
        if "last_updated" not in attrs:
            raise ValidationError({"last_updated": ["a PATCH must carry last_updated"]})
        return attrs


class ChargingPreferencesSerializer(JsonClassSerializer):
    profile_type = EnumField(ProfileType)
    departure_time = JsonDateTimeField(required=False)
    energy_need = JsonNumberField(required=False, allow_negative=False)
    discharge_allowed = serializers.BooleanField(required=False)


def _validate(serializer_class, body) -> dict:
    if not isinstance(body, Mapping):
        raise ValidationError("a JSON object is required")
    return dict(validate_reused(serializer_class, body))


def validate_session(body) -> dict:
    return _validate(SessionSerializer, body)


def validate_session_patch(body) -> dict:
    return _validate(SessionPatchSerializer, body)


def validate_charging_preferences(body) -> dict:
    return _validate(ChargingPreferencesSerializer, body)
