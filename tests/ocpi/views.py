"""Test-only OCPI views exercising the core: every error path, body validation, the token-A rule, party checks
and pagination. Mounted by ``tests.ocpi.urls`` under ``/ocpi/test/`` so the OCPI middleware sees them."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import serializers

from roaming.core.exceptions import (
    DomainError,
    EndpointsMissing,
    InvalidInput,
    ObjectNotFound,
    PartnerUnreachable,
    StateConflict,
    VersionMismatch,
)
from roaming.ocpi.exceptions import (
    InvalidParameters,
    NotEnoughInformation,
    OcpiError,
    UnknownLocation,
    UnknownToken,
)
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.partners.models import PartnerEvent

# name in the URL -> factory of the exception the view raises
ERRORS = {
    "client-error": lambda: OcpiError("something about your request is wrong"),
    "invalid-parameters": lambda: InvalidParameters("uid: too long"),
    "not-enough-information": lambda: NotEnoughInformation("location references needed"),
    "unknown-location": lambda: UnknownLocation("location LOC1 is unknown"),
    "unknown-token": lambda: UnknownToken("token 012345 is unknown"),
    "runtime": lambda: RuntimeError("secret internals: db password is hunter2"),
    "unreachable": lambda: PartnerUnreachable("could not read the partner's versions"),
    "version-mismatch": lambda: VersionMismatch("no mutual OCPI version"),
    "endpoints-missing": lambda: EndpointsMissing("the partner lacks credentials"),
    "object-not-found": lambda: ObjectNotFound("session S1 does not exist"),
    "invalid-input": lambda: InvalidInput("must be positive", field="kwh"),
    "state-conflict": lambda: StateConflict("already registered"),
    "domain-error": lambda: DomainError("a business rule said no"),
    "django-validation": lambda: DjangoValidationError({"country_code": ["must be 2 letters"]}),
    "http404": lambda: Http404("nothing here"),
    "permission-denied": lambda: PermissionDenied("not for you"),
}


class RaiseView(OcpiView):
    def get(self, request, name: str):
        raise ERRORS[name]()


class DataView(OcpiView):
    """Answers with whatever the test asked for: ``?kind=none|decimal|list``."""

    def get(self, request):
        kind = request.query_params.get("kind")
        if kind == "decimal":
            return self.ok(
                {"price": Decimal("0.2500"), "kwh": Decimal("12.5"), "whole": Decimal("3"), "exp": Decimal("1E+1")}
            )
        if kind == "list":
            return self.ok([1, 2, 3])
        return self.ok()


class ConnectorSerializer(serializers.Serializer):
    id = CiStringField(36)
    max_voltage = serializers.IntegerField()
    max_electric_power = OcpiDecimalField(required=False, allow_negative=False)


class EvseSerializer(serializers.Serializer):
    uid = CiStringField(36)
    connectors = ConnectorSerializer(many=True)


class LocationSerializer(serializers.Serializer):
    country_code = CiStringField(2, upper=True)
    party_id = CiStringField(3, upper=True)
    id = CiStringField(36)
    name = OcpiStringField(255, required=False)
    evses = EvseSerializer(many=True, required=False)
    last_updated = OcpiDateTimeField()


class ValidateView(OcpiView):
    """Validates a Location-shaped body and echoes what it stored (``last_updated`` re-emitted strictly)."""

    def post(self, request):
        serializer = LocationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.ok(LocationSerializer(serializer.validated_data).data)


class LocationsModuleView(OcpiView):
    """A functional module: token A is refused, routing headers are parsed and answered."""

    ocpi_module = "locations"

    def get(self, request):
        context = request._request.ocpi
        return self.ok(
            {
                "partner_id": self.caller.partner_id,
                "request_id": context.request_id,
                "correlation_id": context.correlation_id,
                "from": [context.from_country_code, context.from_party_id],
                "to": [context.to_country_code, context.to_party_id],
                "module": context.module,
            }
        )


class PartyView(OcpiView):
    ocpi_module = "locations"

    def get(self, request, country_code: str, party_id: str):
        country_code, party_id = self.check_party(country_code, party_id)
        return self.ok({"country_code": country_code, "party_id": party_id})


class EventListView(OcpiListView):
    """A paginated list over partner events, ``created_at`` standing in for ``last_updated``."""

    ocpi_module = "locations"
    date_field = "created_at"

    def get_queryset(self):
        return PartnerEvent.objects.filter(action="page")

    def serialize(self, items: list) -> list:
        return [item.message for item in items]


# --- the kit's POST to a collection (CDRs' shape), exercised over Tariff rows -----------------------------------


def _tariff_post(*, partner_id, country_code, party_id, data, raw):
    """A CDR-like rule: an id is written once; the same content again is acknowledged, other content refused."""
    from roaming.core.exceptions import InvalidInput
    from roaming.ocpi.kit.receive import storable
    from roaming.tariffs import selectors, services

    held = selectors.tariff_received(country_code=country_code, party_id=party_id, tariff_id=data["id"])
    if held is not None and held.raw != storable(raw):
        raise InvalidInput(f"'{data['id']}' is already held with other content", field="id")
    return services.tariff_put_from_partner(partner_id=partner_id, data=data, raw=raw)


def _tariff_collection_view():
    from roaming.ocpi.kit.views import PartnerCollectionReceiverView
    from roaming.tariffs.ocpi.serializers import validate_tariff

    class TariffCollectionView(PartnerCollectionReceiverView):
        ocpi_module = "tariffs"
        serializers = {"POST": validate_tariff}
        services = {"POST": _tariff_post}

    return TariffCollectionView
