"""Validation of the command objects (mod_commands.asciidoc, "Object description").

Parse leniently (unknown members ignored, ``null`` as absent, enums in any case), answer a bad body with 2001
naming the field. The Token inside StartSession/ReserveNow is validated as a Token (mod_tokens.asciidoc).
"""

from collections.abc import Mapping

from rest_framework import serializers

from roaming.commands.choices import CommandResultType, CommandType
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField
from roaming.ocpi.serializers import (
    DisplayTextSerializer,
    EnumField,
    OcpiObjectSerializer,
    OcpiUrlField,
    validate_reused,
)
from roaming.tokens.ocpi.serializers import TokenSerializer


class CommandSerializer(OcpiObjectSerializer):
    response_url = OcpiUrlField(255)


class CancelReservationSerializer(CommandSerializer):
    reservation_id = CiStringField(36)


class ReserveNowSerializer(CommandSerializer):
    token = TokenSerializer()
    expiry_date = OcpiDateTimeField()
    reservation_id = CiStringField(36)
    location_id = CiStringField(36)
    evse_uid = CiStringField(36, required=False, allow_blank=True)
    authorization_reference = CiStringField(36, required=False, allow_blank=True)


class StartSessionSerializer(CommandSerializer):
    token = TokenSerializer()
    location_id = CiStringField(36)
    evse_uid = CiStringField(36, required=False, allow_blank=True)
    connector_id = CiStringField(36, required=False, allow_blank=True)
    authorization_reference = CiStringField(36, required=False, allow_blank=True)

    def validate(self, attrs):
        # mod_commands.asciidoc, StartSession.evse_uid: "Required when connector_id is set."
        if attrs.get("connector_id") and not attrs.get("evse_uid"):
            raise serializers.ValidationError({"evse_uid": ["required when connector_id is set"]})
        return attrs


class StopSessionSerializer(CommandSerializer):
    session_id = CiStringField(36)


class UnlockConnectorSerializer(CommandSerializer):
    location_id = CiStringField(36)
    evse_uid = CiStringField(36)
    connector_id = CiStringField(36)


SERIALIZERS = {
    CommandType.CANCEL_RESERVATION: CancelReservationSerializer,
    CommandType.RESERVE_NOW: ReserveNowSerializer,
    CommandType.START_SESSION: StartSessionSerializer,
    CommandType.STOP_SESSION: StopSessionSerializer,
    CommandType.UNLOCK_CONNECTOR: UnlockConnectorSerializer,
}


class CommandResultSerializer(OcpiObjectSerializer):
    result = EnumField(CommandResultType)
    message = DisplayTextSerializer(many=True, required=False)


def _object(data, name: str) -> Mapping:
    # Partner quirk: a single object wrapped in a list.
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, Mapping):
        raise serializers.ValidationError({"non_field_errors": [f"expected a {name} object"]})
    return data


def command_type_from_url(value: str) -> str:
    """The ``{command}`` URL segment as a CommandType (any case); 2001 naming ``command`` otherwise."""
    command = {v.upper(): v for v in CommandType.values}.get((value or "").upper())
    if command is None:
        raise serializers.ValidationError({"command": [f"'{value[:40]}' is not a CommandType"]})
    return command


def validate_command(command_type: str, data) -> dict:
    """Validate a command object for ``command_type``; raise DRF ``ValidationError`` (answered 2001)."""
    name = "".join(w.title() for w in command_type.split("_"))
    return dict(validate_reused(SERIALIZERS[command_type], _object(data, name)))


def validate_command_result(data) -> dict:
    return dict(validate_reused(CommandResultSerializer, _object(data, "CommandResult")))
