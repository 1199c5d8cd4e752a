"""Internal CSMS API views: read the request, validate its shape, call one service or selector, answer.

Authentication: API keys of staff users (``Authorization: Token <key>``, issued in the admin under "API keys",
stored as digests: ``roaming.core.api_keys``), or an admin session. Errors follow DRF: 400 with field messages, 401
without credentials, 403 for non-staff, 404 for unknown ids.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from roaming.core.authentication import ApiKeyAuthentication
from roaming.core.exceptions import DomainError, ObjectNotFound, StateConflict
from roaming.locations import selectors
from roaming.locations.api import serializers as s
from roaming.locations.services import csms, own

TAG = "chargers"

CHARGER_EXAMPLE = {
    "evse_id": "NL*EXA*E12345",
    "location_id": "LOC-AMS-1",
    "location": {
        "name": "Amsterdam Centraal P1",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012 AB",
        "country": "NL",
        "coordinates": {"latitude": "52.37903", "longitude": "4.90039"},
        "time_zone": "Europe/Amsterdam",
    },
    "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
    "physical_reference": "A1",
    "connectors": [
        {
            "id": "1",
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "max_electric_power": 22080,
            "tariff_ids": ["AC-STANDARD"],
        }
    ],
}
CHARGER_RESPONSE_EXAMPLE = {
    "internal_id": "CP-0001",
    "evse_id": "NL*EXA*E12345",
    "uid": "NL*EXA*E12345",
    "location_id": "LOC-AMS-1",
    "status": "AVAILABLE",
    "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
    "physical_reference": "A1",
    "floor_level": "",
    "connectors": [
        {
            "id": "1",
            "standard": "IEC_62196_T2",
            "format": "SOCKET",
            "power_type": "AC_3_PHASE",
            "max_voltage": 230,
            "max_amperage": 32,
            "max_electric_power": 22080,
            "tariff_ids": ["AC-STANDARD"],
            "terms_and_conditions": "",
            "last_updated": "2025-01-31T12:00:00Z",
        }
    ],
    "last_updated": "2025-01-31T12:00:00Z",
}
ERROR_400 = OpenApiResponse(description="Invalid body: field -> messages")
ERROR_404 = OpenApiResponse(description="No charger with this internal_id")


class CsmsPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class CsmsAPIView(APIView):
    """Base of the CSMS API: staff API keys (or a staff session) only, and the one place service errors become HTTP
    answers."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]

    def handle_exception(self, exc):
        if isinstance(exc, ObjectNotFound):
            exc = exceptions.NotFound(exc.message)
        elif isinstance(exc, StateConflict):
            exc = exceptions.APIException(exc.message)
            exc.status_code = status.HTTP_409_CONFLICT
        elif isinstance(exc, DomainError):
            exc = exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(as_serializer_error(exc))
        return super().handle_exception(exc)


class ChargerCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Get a charger by its CSMS id",
        responses={200: s.ChargerReadSerializer, 404: ERROR_404},
        examples=[OpenApiExample("Charger", value=CHARGER_RESPONSE_EXAMPLE, response_only=True)],
    )
    def get(self, request, internal_id: str):
        return Response(s.ChargerReadSerializer(csms.charger_get(internal_id=internal_id)).data)

    @extend_schema(
        tags=[TAG],
        summary="Create or replace a charger (EVSE with its connectors) by its CSMS id",
        description=(
            "Upserts the EVSE the CSMS knows as `internal_id` at location `location_id`; the location is created "
            "from `location` when it does not exist yet. Connectors left out are deleted (PUT replaces). Partners "
            "receive the location when anything changed. 201 when created, 200 when updated or unchanged."
        ),
        request=s.ChargerWriteSerializer,
        responses={200: s.ChargerReadSerializer, 201: s.ChargerReadSerializer, 400: ERROR_400},
        examples=[
            OpenApiExample("New charger at a new location", value=CHARGER_EXAMPLE, request_only=True),
            OpenApiExample("Charger", value=CHARGER_RESPONSE_EXAMPLE, response_only=True),
        ],
    )
    def put(self, request, internal_id: str):
        serializer = s.ChargerWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evse, created = csms.charger_upsert_from_csms(internal_id=internal_id, data=serializer.validated_data)
        body = s.ChargerReadSerializer(csms.charger_get(internal_id=evse.internal_id)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ChargerStatusCsmsView(CsmsAPIView):
    @extend_schema(
        tags=[TAG],
        summary="Report a charger's status",
        description=(
            "Sets the EVSE status and PATCHes it to partners. An unchanged status, or a report older than the "
            "charger's last change, changes nothing. A timestamp in the future is taken as now."
        ),
        request=s.ChargerStatusSerializer,
        responses={200: s.ChargerReadSerializer, 400: ERROR_400, 404: ERROR_404},
        examples=[
            OpenApiExample("Charging", value={"status": "CHARGING"}, request_only=True),
            OpenApiExample(
                "With the time it happened",
                value={"status": "AVAILABLE", "timestamp": "2025-01-31T12:00:00Z"},
                request_only=True,
            ),
        ],
    )
    def post(self, request, internal_id: str):
        serializer = s.ChargerStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        csms.charger_status_set_from_csms(
            internal_id=internal_id,
            status=serializer.validated_data["status"],
            at=serializer.validated_data.get("timestamp"),
        )
        return Response(s.ChargerReadSerializer(csms.charger_get(internal_id=internal_id)).data)


class LocationListCsmsView(generics.ListAPIView):
    """Our own locations with a summary of their EVSEs."""

    authentication_classes = CsmsAPIView.authentication_classes
    permission_classes = CsmsAPIView.permission_classes
    serializer_class = s.LocationReadSerializer
    pagination_class = CsmsPagination
    filter_backends = []

    def get_queryset(self):
        country_code, party_id = own.own_party()
        return selectors.location_list(own=True, country_code=country_code, party_id=party_id).order_by("pk")

    @extend_schema(tags=[TAG], summary="List our own locations (paginated)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class LocationCsmsView(CsmsAPIView):
    def _get(self, location_id: str):
        country_code, party_id = own.own_party()
        location = selectors.location_get(
            country_code=country_code, party_id=party_id, location_id=location_id, own=True
        )
        if location is None:
            raise exceptions.NotFound(f"No location with id '{location_id}'.")
        return location

    @extend_schema(tags=[TAG], summary="Get one of our locations", responses={200: s.LocationReadSerializer})
    def get(self, request, location_id: str):
        return Response(s.LocationReadSerializer(self._get(location_id)).data)

    @extend_schema(
        tags=[TAG],
        summary="Create or replace one of our locations' own fields (not its EVSEs)",
        request=s.LocationWriteSerializer,
        responses={200: s.LocationReadSerializer, 201: s.LocationReadSerializer, 400: ERROR_400},
        examples=[OpenApiExample("Location", value=CHARGER_EXAMPLE["location"], request_only=True)],
    )
    def put(self, request, location_id: str):
        serializer = s.LocationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location, created = csms.location_upsert_from_csms(location_id=location_id, data=serializer.validated_data)
        body = s.LocationReadSerializer(self._get(location.location_id)).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
