"""Internal API shapes of the commands module."""

from rest_framework import serializers

from roaming.commands.choices import CommandResultType
from roaming.commands.models import Command
from roaming.ocpi.choices import TokenType


class CpoField(serializers.Serializer):
    cpo_country_code = serializers.CharField(
        max_length=2, required=False, help_text="The CPO to send to (default: the CPO whose location it is)"
    )
    cpo_party_id = serializers.CharField(max_length=3, required=False)


class StartSessionSerializer(CpoField):
    token_uid = serializers.CharField(max_length=36, help_text="The driver's token (ours), e.g. the app user's id")
    token_type = serializers.ChoiceField(TokenType.choices, default=TokenType.APP_USER)
    location_id = serializers.CharField(max_length=36)
    evse_uid = serializers.CharField(max_length=36, required=False, allow_blank=True)
    connector_id = serializers.CharField(max_length=36, required=False, allow_blank=True)


class ReserveNowSerializer(CpoField):
    token_uid = serializers.CharField(max_length=36)
    token_type = serializers.ChoiceField(TokenType.choices, default=TokenType.APP_USER)
    location_id = serializers.CharField(max_length=36)
    evse_uid = serializers.CharField(max_length=36, required=False, allow_blank=True)
    expiry_date = serializers.DateTimeField(help_text="When the reservation ends (UTC)")


class StopSessionSerializer(serializers.Serializer):
    session_id = serializers.CharField(max_length=36, help_text="The session's id as the CPO gave it")


class CancelReservationSerializer(serializers.Serializer):
    reservation_id = serializers.CharField(max_length=36, help_text="The reservation_id answered by reserve_now")


class UnlockConnectorSerializer(CpoField):
    location_id = serializers.CharField(max_length=36)
    evse_uid = serializers.CharField(max_length=36)
    connector_id = serializers.CharField(max_length=36)


class CsmsResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(CommandResultType.choices, help_text="What the charge point did")
    message = serializers.CharField(max_length=512, required=False, allow_blank=True, help_text="Why, in words")


class CommandReadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uid", read_only=True)
    command = serializers.CharField(source="type")
    partner = serializers.CharField(source="partner.name")
    response_message = serializers.SerializerMethodField()
    result_message = serializers.SerializerMethodField()
    charging_session_id = serializers.SerializerMethodField(help_text="The session the command started or stopped")

    class Meta:
        model = Command
        fields = [
            "id",
            "role",
            "command",
            "status",
            "partner",
            "location_id",
            "evse_uid",
            "connector_id",
            "session_id",
            "reservation_id",
            "token_uid",
            "token_type",
            "authorization_reference",
            "response_result",
            "response_timeout",
            "response_message",
            "result",
            "result_message",
            "late_result",
            "error",
            "sent_at",
            "responded_at",
            "result_at",
            "timed_out_at",
            "charging_session_id",
        ]

    def get_response_message(self, obj) -> str:
        from roaming.commands.services.common import first_text

        return first_text(obj.response_message)

    def get_result_message(self, obj) -> str:
        from roaming.commands.services.common import first_text

        return first_text(obj.result_message)

    def get_charging_session_id(self, obj) -> str | None:
        session = self.context.get("session") or obj.charging_session
        return session.session_id if session is not None else None
