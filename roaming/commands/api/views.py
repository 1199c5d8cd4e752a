"""Commands internal API.

* The eMSP's driver app backend sends commands for its drivers (``POST /api/v1/commands/{start_session, ...}``)
  and polls or waits for their outcome (``GET /api/v1/commands/{id}?wait=``).
* Our CSMS reports what the charge point did with a command our CPO received
  (``POST /api/v1/commands/{id}/result``), after the webhook adapter handed it over.

Same conventions as the other internal APIs (staff API tokens, DRF errors: 400 naming the field, 404, 409).
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from roaming.commands import selectors
from roaming.commands.api import serializers as s
from roaming.commands.choices import CommandType
from roaming.commands.services import cpo, emsp
from roaming.locations.api.views import CsmsAPIView

TAG = "commands"
ERROR_400 = OpenApiResponse(
    description="Invalid body, or an unknown token, location, session or reservation: field -> messages"
)
ERROR_409 = OpenApiResponse(
    description="The driver may not charge there (the reason is given), or the CPO takes no commands"
)
OUTCOME = (
    "The answer tells at once whether the charge point operator accepted the request (`response_result`); what "
    "the charge point then did arrives later in `result` (poll `GET /api/v1/commands/{id}`, or add `?wait=`)."
)


def _send(request, command_type: str, serializer_class):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    command = emsp.command_send(
        command_type=command_type, params=dict(serializer.validated_data), requested_by=request.user.get_username()
    )
    return _read(command, status.HTTP_201_CREATED)


def _read(command, code=status.HTTP_200_OK) -> Response:
    context = {"session": selectors.command_session(command=command)}
    return Response(s.CommandReadSerializer(command, context=context).data, status=code)


def _send_view(command_type: str, serializer_class, summary: str, description: str):
    class View(CsmsAPIView):
        @extend_schema(
            tags=[TAG],
            summary=summary,
            description=f"{description} {OUTCOME}",
            request=serializer_class,
            responses={201: s.CommandReadSerializer, 400: ERROR_400, 409: ERROR_409},
        )
        def post(self, request):
            return _send(request, command_type, serializer_class)

    View.__name__ = View.__qualname__ = f"{command_type.title().replace('_', '')}CommandView"
    return View


StartSessionCommandView = _send_view(
    CommandType.START_SESSION,
    s.StartSessionSerializer,
    "Start charging remotely",
    "Asks the charge point to start charging for the driver's token at a location (optionally a given EVSE and "
    "connector). The driver is first checked against our own authorization rules; a driver who may not charge "
    "there gets 409 with the reason and nothing is sent.",
)
StopSessionCommandView = _send_view(
    CommandType.STOP_SESSION,
    s.StopSessionSerializer,
    "Stop charging remotely",
    "Asks the charge point to end one of our drivers' ongoing sessions.",
)
ReserveNowCommandView = _send_view(
    CommandType.RESERVE_NOW,
    s.ReserveNowSerializer,
    "Reserve a charger",
    "Asks the charge point operator to hold an EVSE (or any EVSE of the location) for the driver until "
    "`expiry_date`. Keep the `reservation_id` answered to cancel it.",
)
CancelReservationCommandView = _send_view(
    CommandType.CANCEL_RESERVATION,
    s.CancelReservationSerializer,
    "Cancel a reservation",
    "Releases a reservation made with reserve_now.",
)
UnlockConnectorCommandView = _send_view(
    CommandType.UNLOCK_CONNECTOR,
    s.UnlockConnectorSerializer,
    "Unlock a connector",
    "For support staff only, when a cable stays locked after charging: asks the charge point to release the "
    "connector. Never offer this to drivers directly (the OCPI specification forbids it).",
)


class CommandView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Get a command and its outcome",
        description=(
            "The command as it stands: `status` is SENDING, WAITING (accepted, the charge point has not answered "
            "yet), DONE (`result` says what the charge point did), REFUSED (`response_result` says why), "
            "NOT_DELIVERED (the operator could not be reached) or TIMED_OUT. With `wait`, the answer comes as "
            "soon as the outcome is known, or after that many seconds at most."
        ),
        parameters=[
            OpenApiParameter(
                "wait", int, description="Seconds to wait for the outcome (at most COMMANDS_API_MAX_WAIT_SECONDS, 30)"
            )
        ],
        responses={200: s.CommandReadSerializer, 404: OpenApiResponse(description="No such command")},
    )
    def get(self, request, uid):
        wait = request.query_params.get("wait")
        try:
            seconds = min(float(wait), settings.COMMANDS_API_MAX_WAIT_SECONDS) if wait else 0.0
        except ValueError:
            raise serializers.ValidationError({"wait": ["a number of seconds is expected"]}) from None
        command = selectors.command_wait(uid=uid, seconds=seconds) if seconds > 0 else selectors.command_get(uid=uid)
        return _read(command)


class CommandResultCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Report what the charge point did with a command",
        description=(
            "The CSMS's answer to a command the webhook handed over (the `id` it carried): ACCEPTED, "
            "EVSE_OCCUPIED, EVSE_INOPERATIVE, FAILED, NOT_SUPPORTED, REJECTED, TIMEOUT or UNKNOWN_RESERVATION; "
            "later, CANCELED_RESERVATION when a reservation the charge point accepted has to be cancelled. It is "
            "forwarded to the eMSP at once. Repeating the same result changes nothing."
        ),
        request=s.CsmsResultSerializer,
        responses={
            200: s.CommandReadSerializer,
            400: ERROR_400,
            404: OpenApiResponse(description="No such command"),
            409: OpenApiResponse(description="The command already has another result, or was refused"),
        },
    )
    def post(self, request, uid):
        serializer = s.CsmsResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        command = selectors.command_get(uid=uid)
        cpo.command_result_from_csms(
            command_uid=command.uid,
            result=serializer.validated_data["result"],
            message=serializer.validated_data.get("message") or "",
        )
        return Response(s.CommandReadSerializer(selectors.command_get(uid=uid)).data)
