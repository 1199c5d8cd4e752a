"""Sessions CSMS API: our CSMS reports charges (start, meter values, status changes, stop), keyed on its own
transaction id. Same conventions as the charger API (staff API keys, DRF errors: 400 naming the field, 404)."""

import functools

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from roaming.locations.api.views import CsmsAPIView
from roaming.ocpi.serializers import validate_reused
from roaming.sessions.api import serializers as s
from roaming.sessions.services import csms

TAG = "sessions"
ERROR_400 = OpenApiResponse(description="Invalid body or reading: field -> messages; nothing was changed")
ERROR_404 = OpenApiResponse(description="No session with this transaction id")
START_EXAMPLE = {
    "transaction_id": "TX-1001",
    "token_uid": "12345678905880",
    "token_type": "RFID",
    "charger_id": "CP-0001",
    "connector_id": "1",
    "start_date_time": "2025-01-31T12:00:00Z",
    "meter_start": 1000,
    "authorization_reference": "A1B2C3",
}


@functools.cache
def _session_reader() -> s.SessionReadSerializer:
    """One reused instance: a new serializer copies every declared field, which cost a meter reading's answer more
    than rendering it (``to_representation`` keeps no state on the instance)."""
    return s.SessionReadSerializer()


def _answer(result, created_status=status.HTTP_200_OK):
    body = _session_reader().to_representation(result.session)
    headers = {"X-Outcome": result.outcome.value}
    code = created_status if result.outcome == csms.Outcome.CREATED else status.HTTP_200_OK
    return Response(body, status=code, headers=headers)


class SessionStartCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Start a session",
        description=(
            "Creates the OCPI Session for the CSMS transaction and PUTs it to the eMSP owning the token (looked up "
            "in the token cache). Repeating the call returns the session already made (200). The session is "
            "priced live with the connector's tariff at start."
        ),
        request=s.SessionStartSerializer,
        responses={201: s.SessionReadSerializer, 200: s.SessionReadSerializer, 400: ERROR_400},
        examples=[OpenApiExample("Start", value=START_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        serializer = s.SessionStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        result = csms.session_start_from_csms(transaction_id=data.pop("transaction_id"), data=data)
        return _answer(result, status.HTTP_201_CREATED)


class SessionCsmsView(CsmsAPIView):
    @extend_schema(tags=[TAG], summary="Get a session", responses={200: s.SessionReadSerializer, 404: ERROR_404})
    def get(self, request, transaction_id: str):
        return Response(s.SessionReadSerializer(csms.session_get_own(transaction_id=transaction_id)).data)


class SessionMeterValuesCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Report meter values",
        description=(
            "Cumulative energy (Wh), with power (W) and current (A) where known. A reading at or before the last "
            "one held (duplicate, out of order) is ignored; energy going backwards is refused (400 `energy_wh`). "
            "Updates reach the eMSP coalesced: at most one PATCH per interval (SESSIONS_PATCH_INTERVAL_SECONDS)."
        ),
        request=s.MeterValuesSerializer,
        responses={200: s.SessionReadSerializer, 400: ERROR_400, 404: ERROR_404},
        examples=[
            OpenApiExample(
                "Reading",
                value={"timestamp": "2025-01-31T12:05:00Z", "energy_wh": 1900, "power_w": 11000, "current_a": 16},
                request_only=True,
            )
        ],
    )
    def post(self, request, transaction_id: str):
        readings = validate_reused(s.MeterValuesSerializer, request.data)["readings"]
        result = csms.session_meter_values_from_csms(transaction_id=transaction_id, readings=readings)
        return _answer(result)


def _batch_item_body(item: csms.BatchItemResult) -> dict:
    out = {"transaction_id": item.transaction_id, "outcome": item.outcome}
    if item.reason:
        out["reason"] = item.reason
    if item.errors:
        out["errors"] = item.errors
    if item.session is not None:
        out.update(
            kwh=item.session.kwh,
            total_cost_excl_vat=item.session.total_cost_excl_vat,
            total_cost_incl_vat=item.session.total_cost_incl_vat,
        )
    return out


@functools.cache
def _batch_result_renderer() -> s.MeterValuesBatchResultSerializer:
    return s.MeterValuesBatchResultSerializer()


class SessionMeterValuesBatchCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Report meter values of many sessions",
        operation_id="v1_sessions_meter_values_batch",
        description=(
            "Readings of many transactions in one call (up to 1,000), as a CSMS forwards what its chargers report: "
            "the cheap way to send thousands of updates a second. Each transaction is handled as the single call "
            "handles it (duplicates and older readings ignored, energy going backwards or a time in the future "
            "refused), on its own: its readings are kept or refused together, and a refused or unknown transaction "
            "leaves the others alone. The answer (200) has one result per transaction, in the order of its first "
            "reading. A body that is not a list of readings is refused whole (400 naming the item and field) and "
            "changes nothing."
        ),
        request=s.MeterValuesBatchSerializer,
        responses={200: s.MeterValuesBatchResultSerializer, 400: ERROR_400},
        examples=[
            OpenApiExample(
                "Two sessions",
                value={
                    "meter_values": [
                        {"transaction_id": "TX-1001", "timestamp": "2025-01-31T12:05:00Z", "energy_wh": 1900},
                        {"transaction_id": "TX-1002", "timestamp": "2025-01-31T12:05:01Z", "energy_wh": 5400},
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        meter_values = validate_reused(s.MeterValuesBatchSerializer, request.data)["meter_values"]
        results = csms.session_meter_values_batch_from_csms(meter_values=meter_values)
        body = _batch_result_renderer().to_representation({"results": [_batch_item_body(r) for r in results]})
        return Response(body)


class SessionStatusCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Report a status change",
        description="Sent to the eMSP at once. An older change than the last one applied is ignored.",
        request=s.SessionStatusSerializer,
        responses={200: s.SessionReadSerializer, 400: ERROR_400, 404: ERROR_404},
    )
    def post(self, request, transaction_id: str):
        serializer = s.SessionStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = csms.session_status_from_csms(
            transaction_id=transaction_id,
            status=serializer.validated_data["status"],
            at=serializer.validated_data.get("timestamp"),
        )
        return _answer(result)


class SessionStopCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Stop a session",
        description="Final reading and end time; the session becomes COMPLETED. Repeating the call changes nothing.",
        request=s.SessionStopSerializer,
        responses={200: s.SessionReadSerializer, 400: ERROR_400, 404: ERROR_404},
    )
    def post(self, request, transaction_id: str):
        serializer = s.SessionStopSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = csms.session_stop_from_csms(transaction_id=transaction_id, **serializer.validated_data)
        return _answer(result)
