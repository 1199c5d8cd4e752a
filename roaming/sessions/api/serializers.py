"""Shapes of the sessions CSMS API (``/api/v1/sessions/...``): validation only, writes are the services'."""

from rest_framework import serializers

from roaming.sessions.choices import AuthMethod, SessionStatus
from roaming.tokens.choices import TokenType


class SessionStartSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=100, help_text="The CSMS's own id of the transaction")
    token_uid = serializers.CharField(max_length=36)
    token_type = serializers.ChoiceField(TokenType.choices, default=TokenType.RFID)
    charger_id = serializers.CharField(max_length=100, required=False, help_text="Our CSMS's charger id")
    evse_uid = serializers.CharField(max_length=36, required=False, help_text="Instead of charger_id")
    connector_id = serializers.CharField(max_length=36)
    start_date_time = serializers.DateTimeField()
    meter_start = serializers.IntegerField(min_value=0, help_text="Meter reading at start, Wh")
    authorization_reference = serializers.CharField(max_length=36, required=False, allow_blank=True)
    auth_method = serializers.ChoiceField(AuthMethod.choices, required=False)
    status = serializers.ChoiceField(SessionStatus.choices, default=SessionStatus.ACTIVE)
    meter_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    country_code = serializers.CharField(max_length=2, required=False, help_text="Token's eMSP, if not cached")
    party_id = serializers.CharField(max_length=3, required=False)
    contract_id = serializers.CharField(max_length=36, required=False)

    def validate(self, attrs):
        if attrs.get("status") in (SessionStatus.COMPLETED, SessionStatus.INVALID):
            raise serializers.ValidationError({"status": ["a session starts PENDING, ACTIVE or RESERVATION"]})
        if not attrs.get("charger_id") and not attrs.get("evse_uid"):
            raise serializers.ValidationError({"charger_id": ["charger_id or evse_uid is required"]})
        return attrs


class MeterReadingSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    energy_wh = serializers.IntegerField(min_value=0, help_text="Cumulative meter reading, Wh")
    power_w = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    current_a = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)


class MeterValuesSerializer(serializers.Serializer):
    """One reading, or several under ``readings``."""

    readings = MeterReadingSerializer(many=True, allow_empty=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "readings" not in data:
            data = {"readings": [data]}
        return super().to_internal_value(data)


#: readings per batch call: a CSMS sends what its chargers reported in the last second or so
METER_BATCH_MAX = 1000


class MeterValueItemSerializer(MeterReadingSerializer):
    transaction_id = serializers.CharField(max_length=100, help_text="The CSMS's own id of the transaction")


class MeterValuesBatchSerializer(serializers.Serializer):
    meter_values = MeterValueItemSerializer(many=True, allow_empty=False, max_length=METER_BATCH_MAX)


class MeterValuesBatchItemResultSerializer(serializers.Serializer):
    """One transaction's result; ``kwh`` and the costs are the session's after the call (absent when
    ``rejected`` or ``not_found``)."""

    transaction_id = serializers.CharField()
    outcome = serializers.ChoiceField(["updated", "ignored", "rejected", "not_found"])
    reason = serializers.CharField(required=False, help_text="Why it was ignored, rejected or not found")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="rejected: field -> messages, as a single call's 400 names them",
    )
    kwh = serializers.DecimalField(max_digits=18, decimal_places=6, required=False)
    total_cost_excl_vat = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)
    total_cost_incl_vat = serializers.DecimalField(max_digits=18, decimal_places=6, required=False, allow_null=True)

    def to_representation(self, instance: dict) -> dict:
        # DRF renders a nullable field missing from the item as null; missing means absent here (not_found has no
        # cost), while a session without a tariff has its costs as null.
        rendered = super().to_representation(instance)
        return {key: value for key, value in rendered.items() if key in instance}


class MeterValuesBatchResultSerializer(serializers.Serializer):
    results = MeterValuesBatchItemResultSerializer(many=True)


class SessionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(SessionStatus.choices)
    timestamp = serializers.DateTimeField(required=False)


class SessionStopSerializer(serializers.Serializer):
    end_date_time = serializers.DateTimeField()
    meter_stop = serializers.IntegerField(min_value=0, help_text="Meter reading at stop, Wh")


class SessionReadSerializer(serializers.Serializer):
    transaction_id = serializers.CharField(source="csms_transaction_id")
    id = serializers.CharField(source="session_id")
    status = serializers.CharField()
    start_date_time = serializers.DateTimeField()
    end_date_time = serializers.DateTimeField(allow_null=True)
    kwh = serializers.DecimalField(max_digits=18, decimal_places=6)
    currency = serializers.CharField()
    total_cost_excl_vat = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    total_cost_incl_vat = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    charging_periods = serializers.JSONField()
    cdr_token = serializers.JSONField()
    authorization_reference = serializers.CharField()
    location_id = serializers.CharField()
    evse_uid = serializers.CharField()
    connector_id = serializers.CharField()
    charging_preferences = serializers.JSONField(allow_null=True)
    last_updated = serializers.DateTimeField()
