"""DRF authentication for the internal API: ``Authorization: Token <key>`` with an ``ApiKey``
(``roaming.core.api_keys``); the header keyword is DRF's, so CSMS clients written for it keep working."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from roaming.core.api_keys import api_key_user

KEYWORD = "token"
_MAX_KEY_LENGTH = 256  # a key is 43 characters: never hash megabytes


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not header or header[0].lower() != KEYWORD:
            return None  # not ours: session authentication may still apply
        if len(header) != 2 or len(header[1]) > _MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Token <API key>'.")
        user = api_key_user(header[1])
        if user is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key, or an inactive user.")
        return user, None

    def authenticate_header(self, request):
        return "Token"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document (``/api/schema/``) describes the key to CSMS developers."""

    target_class = "roaming.core.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <API key>`: a key staff issue in the admin (Core > API keys), shown once.",
        }
