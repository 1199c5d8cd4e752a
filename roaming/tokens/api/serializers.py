"""Shapes of the internal tokens API (driver app, CRM) and of the CSMS authorization call."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from roaming.tokens.choices import AllowedType, DecisionSource, ProfileType, TokenType, WhitelistType
from roaming.tokens.models import AuthorizationDecision, Token


class EnergyContractSerializer(serializers.Serializer):
    supplier_name = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class TokenReadSerializer(serializers.ModelSerializer):
    energy_contract = EnergyContractSerializer(allow_null=True)

    class Meta:
        model = Token
        fields = [
            "uid",
            "type",
            "contract_id",
            "visual_number",
            "issuer",
            "group_id",
            "valid",
            "whitelist",
            "language",
            "default_profile_type",
            "energy_contract",
            "last_updated",
        ]


class TokenWriteSerializer(serializers.Serializer):
    """Shape only; the service validates the content (eMA ID, lengths) and answers 400 naming the field."""

    uid = serializers.CharField(max_length=36)
    type = serializers.ChoiceField(TokenType.choices, default=TokenType.RFID)
    contract_id = serializers.CharField(max_length=36, help_text="eMA ID, e.g. NL-EXA-C12345678-X")
    issuer = serializers.CharField(max_length=64)
    visual_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    group_id = serializers.CharField(max_length=36, required=False, allow_blank=True)
    valid = serializers.BooleanField(default=True)
    whitelist = serializers.ChoiceField(WhitelistType.choices, default=WhitelistType.ALLOWED)
    language = serializers.CharField(max_length=2, required=False, allow_blank=True)
    default_profile_type = serializers.ChoiceField(ProfileType.choices, required=False, allow_blank=True)
    energy_contract = EnergyContractSerializer(required=False, allow_null=True)


class TokenPatchSerializer(TokenWriteSerializer):
    """Any subset of the writable fields (``uid``/``type`` come from the URL)."""

    uid = None
    type = None

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class AuthorizeRequestSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=36, help_text="The token as the charger read it")
    type = serializers.ChoiceField(TokenType.choices, default=TokenType.RFID)
    charger_id = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="CSMS charger id")
    evse_uid = serializers.CharField(max_length=36, required=False, allow_blank=True)
    country_code = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="owning eMSP")
    party_id = serializers.CharField(max_length=3, required=False, allow_blank=True, help_text="owning eMSP")

    def validate(self, attrs):
        if not attrs.get("charger_id") and not attrs.get("evse_uid"):
            raise serializers.ValidationError({"charger_id": ["name the charger: charger_id or evse_uid"]})
        return attrs


class EmspSerializer(serializers.Serializer):
    country_code = serializers.CharField()
    party_id = serializers.CharField()
    partner_id = serializers.IntegerField(allow_null=True)


class AuthorizeResponseSerializer(serializers.ModelSerializer):
    decision_id = serializers.IntegerField(source="pk")
    emsp = serializers.SerializerMethodField()
    result = serializers.ChoiceField(AllowedType.choices, allow_blank=True)
    source = serializers.ChoiceField(DecisionSource.choices)
    authorization_reference = serializers.CharField(allow_null=True)

    class Meta:
        model = AuthorizationDecision
        fields = [
            "decision_id",
            "allowed",
            "result",
            "reason",
            "authorization_reference",
            "emsp",
            "source",
            "fell_back",
            "token_uid",
            "token_type",
            "location_id",
            "evse_uid",
            "latency_ms",
        ]

    @extend_schema_field(EmspSerializer(allow_null=True))
    def get_emsp(self, decision) -> dict | None:
        if not decision.emsp_country_code:
            return None
        return {
            "country_code": decision.emsp_country_code,
            "party_id": decision.emsp_party_id,
            "partner_id": decision.partner_id,
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["authorization_reference"] = instance.authorization_reference or None
        return data
