"""Base views every OCPI module builds on, plus the versions endpoints (version_information_endpoint.asciidoc).

``OcpiView`` wires the OCPI conventions once: token authentication, the token-A rule, the envelope-producing
exception handler, lenient JSON in / strict JSON out, routing headers on responses of functional modules, and
``check_party`` for URLs under ``{country_code}/{party_id}``.
"""

from django.conf import settings
from rest_framework.views import APIView

from roaming.ocpi import registry
from roaming.ocpi.authentication import OcpiTokenAuthentication
from roaming.ocpi.caller import OcpiCaller, end_serving, serve_as
from roaming.ocpi.envelope import ocpi_response
from roaming.ocpi.exceptions import NotFound, NotYourParty, ocpi_exception_handler
from roaming.ocpi.pagination import paginate
from roaming.ocpi.permissions import IsOcpiPartner
from roaming.ocpi.renderers import OcpiContentNegotiation, OcpiJSONParser, OcpiJSONRenderer
from roaming.ocpi.status import CONFIGURATION_MODULES


class OcpiView(APIView):
    """Base class of every OCPI endpoint view."""

    authentication_classes = [OcpiTokenAuthentication]
    permission_classes = [IsOcpiPartner]
    renderer_classes = [OcpiJSONRenderer]
    # OCPI endpoints are specified by OCPI, not by our OpenAPI schema (which documents the internal CSMS API).
    schema = None
    parser_classes = [OcpiJSONParser]
    content_negotiation_class = OcpiContentNegotiation
    #: module identifier, for routing headers and the traffic log
    ocpi_module: str = ""
    #: token A (registration) is accepted only where this is True (versions, credentials)
    allow_registration_token = False

    def get_exception_handler(self):
        return ocpi_exception_handler

    def options(self, request, *args, **kwargs):
        """OPTIONS: the allowed methods in ``Allow``; never DRF's metadata, which exposes our docstrings."""
        return self.ok(headers={"Allow": ", ".join(self.allowed_methods)})

    def dispatch(self, request, *args, **kwargs):
        token = serve_as(None)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            end_serving(token)  # a worker thread serves the next request with nobody authenticated

    def initial(self, request, *args, **kwargs):
        if hasattr(request._request, "ocpi"):
            request._request.ocpi.module = self.ocpi_module
        super().initial(request, *args, **kwargs)
        if isinstance(request.user, OcpiCaller):
            serve_as(request.user)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        context = getattr(request._request, "ocpi", None)
        if context is not None and self.ocpi_module and self.ocpi_module not in CONFIGURATION_MODULES:
            for key, value in context.response_routing_headers(
                settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID
            ).items():
                response[key] = value
        return response

    @property
    def caller(self):
        return self.request.user

    def check_party(self, country_code: str, party_id: str, *, role: str | None = None) -> tuple[str, str]:
        """Refuse a URL under a party that is none of the caller's roles, or none of its ``role`` roles when given
        (404, transport_and_format §client owned objects); return the pair upper-cased for lookups (CiString)."""
        if not self.caller.owns(country_code, party_id, role):
            as_role = f" as {role}" if role else ""
            raise NotYourParty(
                f"country_code/party_id: {country_code}/{party_id} is not one of your registered roles{as_role}"
            )
        return country_code.upper(), party_id.upper()

    def ok(self, data=None, *, http_status: int = 200, headers=None, status_message: str | None = None):
        return ocpi_response(data, http_status=http_status, headers=headers, status_message=status_message)


class OcpiListView(OcpiView):
    """A Sender list endpoint: paginated with offset/limit/date_from/date_to (transport_and_format §Pagination).

    Subclasses provide ``get_queryset()`` (a selector, sized for ``serialize``) and ``serialize(items)``.
    """

    date_field = "last_updated"
    ordering: tuple[str, ...] = ("pk",)
    date_from_required = False

    def get_queryset(self):
        raise NotImplementedError

    def serialize(self, items: list) -> list:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        page = paginate(
            request,
            self.get_queryset(),
            date_field=self.date_field,
            ordering=self.ordering,
            date_from_required=self.date_from_required,
        )
        return self.ok(self.serialize(page.items), headers=page.headers)


class VersionsView(OcpiView):
    """``GET /ocpi/versions``: the versions we support, each with its details URL. Tokens A, B/C accepted."""

    ocpi_module = "versions"
    allow_registration_token = True

    def get(self, request):
        return self.ok([{"version": v, "url": registry.version_details_url(v)} for v in registry.versions()])


class VersionDetailsView(OcpiView):
    """``GET /ocpi/<version>``: every module endpoint this installation serves, with its role."""

    ocpi_module = "versions"
    allow_registration_token = True

    def get(self, request, version: str):
        endpoints = registry.endpoints(version)
        if not endpoints:
            raise NotFound(f"version: OCPI version '{version}' is not supported here")
        return self.ok(
            {
                "version": version,
                "endpoints": [{"identifier": e.identifier, "role": e.role, "url": e.url} for e in endpoints],
            }
        )


class OcpiNotFoundView(OcpiView):
    """Any other URL under /ocpi/: an envelope, never Django's HTML 404 page."""

    authentication_classes = []
    permission_classes = []

    def _answer(self, request, *args, **kwargs):
        raise NotFound(f"No OCPI endpoint at {request.path}")

    get = post = put = patch = delete = _answer
