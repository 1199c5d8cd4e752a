from roaming.core.exceptions import StateConflict
from roaming.ocpi.exceptions import MethodNotAllowed
from roaming.ocpi.views import OcpiView
from roaming.partners import services
from roaming.partners.models import Partner


class CredentialsView(OcpiView):
    """``/credentials`` (credentials.asciidoc): GET, POST (register), PUT (update), DELETE (unregister)."""

    ocpi_module = "credentials"
    allow_registration_token = True

    def _partner(self) -> Partner:
        return Partner.objects.get(pk=self.caller.partner_id)

    def get(self, request):
        # The spec leaves open which token GET returns (ocpi/ocpi#394): the one the caller is using, which we never
        # store in clear.
        return self.ok(services.our_credentials(self.caller.token))

    def handle_exception(self, exc):
        # credentials.asciidoc: POST when registered, PUT/DELETE when not -> HTTP 405 (only here: elsewhere a
        # domain conflict is an ordinary client error).
        if isinstance(exc, StateConflict):
            exc = MethodNotAllowed(exc.message)
        return super().handle_exception(exc)

    def post(self, request):
        return self.ok(services.credentials_register_inbound(partner=self._partner(), data=request.data))

    def put(self, request):
        return self.ok(services.credentials_update_inbound(partner=self._partner(), data=request.data))

    def delete(self, request):
        services.credentials_delete_inbound(partner=self._partner())
        return self.ok()
