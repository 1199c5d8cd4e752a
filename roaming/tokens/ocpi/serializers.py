"""Input validation of Tokens (mod_tokens.asciidoc, "Object description" and "Data types").

Parse leniently, emit strictly: unknown fields are ignored, ``null`` reads as absent, enums are matched
case-insensitively, ``country_code``/``party_id`` are upper-cased. A partner's ``contract_id`` is stored as sent
(the spec only recommends the eMA ID form); our own tokens are held to it by the services.
"""

from collections.abc import Mapping

from rest_framework import serializers

from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiStringField
from roaming.ocpi.serializers import EnumField, JsonClassSerializer, OcpiObjectSerializer, validate_reused
from roaming.tokens import choices


class EnergyContractSerializer(JsonClassSerializer):
    """EnergyContract class."""

    supplier_name = OcpiStringField(64)
    contract_id = OcpiStringField(64, required=False, allow_blank=True)


class TokenSerializer(OcpiObjectSerializer):
    """Token object. With ``partial=True`` (PATCH) every field is optional but ``last_updated``."""

    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    uid = CiStringField(36)
    type = EnumField(choices.TokenType)
    contract_id = CiStringField(36)
    visual_number = OcpiStringField(64, required=False, allow_blank=True)
    issuer = OcpiStringField(64)
    group_id = CiStringField(36, required=False, allow_blank=True)
    valid = serializers.BooleanField()
    whitelist = EnumField(choices.WhitelistType)
    language = OcpiStringField(2, required=False, allow_blank=True)
    default_profile_type = EnumField(choices.ProfileType, required=False)
    energy_contract = EnergyContractSerializer(required=False)
    last_updated = OcpiDateTimeField()

    def validate_uid(self, value):
        if not value.strip():
            raise serializers.ValidationError("must not be empty")
        return value

    def validate(self, attrs):
        if self.partial and "last_updated" not in attrs:
            # mod_tokens.asciidoc, PATCH Method: "Any request to the PATCH method SHALL contain the last_updated field"
            raise serializers.ValidationError({"last_updated": ["this field is required"]})
        return attrs


class LocationReferencesSerializer(JsonClassSerializer):
    """LocationReferences class (the optional body of a real-time authorization)."""

    location_id = CiStringField(36)
    evse_uids = serializers.ListField(child=CiStringField(36), required=False)


def _object(data, name: str) -> Mapping:
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": [f"expected a {name} object"]})
    return data


def validate_token(data, *, partial: bool = False) -> dict:
    """Validate one OCPI Token dict (a PATCH body with ``partial=True``); raise DRF ``ValidationError``."""
    return dict(validate_reused(TokenSerializer, _object(data, "Token"), partial=partial))


def validate_token_patch(data) -> dict:
    """A Receiver PATCH body: any Token members, ``last_updated`` required."""
    return validate_token(data, partial=True)


def token_validator():
    """``validate_token`` for many tokens (a pulled page): one serializer whose fields are built once, instead of
    DRF deep-copying every field for every token. Raises DRF ``ValidationError`` like ``validate_token``."""
    serializer = TokenSerializer()

    def validate(data) -> dict:
        return dict(serializer.run_validation(_object(data, "Token")))

    return validate


def validate_location_references(data) -> dict | None:
    """The optional LocationReferences body of ``POST {uid}/authorize``: None when absent or empty."""
    if data in (None, {}, b"", ""):
        return None
    return dict(validate_reused(LocationReferencesSerializer, _object(data, "LocationReferences")))
