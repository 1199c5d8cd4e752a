"""Tokens module endpoints (mod_tokens.asciidoc, "Interfaces and endpoints").

* Sender (our eMSP): ``GET {tokens}`` — our tokens, paginated with ``date_from``/``date_to``; and
  ``POST {tokens}/{token_uid}/authorize[?type=]`` with an optional LocationReferences body → AuthorizationInfo.
  An unknown token is HTTP 404 with 2004 and no ``data``; BLOCKED and the other outcomes are HTTP 200.
* Receiver (our CPO): ``GET``/``PUT``/``PATCH {tokens}/{country_code}/{party_id}/{token_uid}[?type=]`` into the
  token cache; ``type`` defaults to RFID. Tokens are never deleted (no DELETE, no POST).
"""

from roaming.ocpi.exceptions import InvalidParameters, UnknownToken
from roaming.ocpi.kit.views import PartnerObjectReceiverView
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.tokens import selectors
from roaming.tokens.choices import TokenType
from roaming.tokens.ocpi.render import TOKEN_COLUMNS, token_to_ocpi
from roaming.tokens.ocpi.serializers import validate_location_references, validate_token, validate_token_patch
from roaming.tokens.services import receive
from roaming.tokens.services.authorize import token_authorize


def token_type_param(request) -> str:
    """The ``type`` URL parameter (TokenType, case-insensitive); RFID when omitted."""
    raw = request.query_params.get("type")
    if raw in (None, ""):
        return TokenType.RFID
    value = raw.strip().upper()
    if value not in TokenType.values:
        raise InvalidParameters(f"type: '{raw}' is not a valid TokenType")
    return value


class TokenSenderListView(OcpiListView):
    ocpi_module = "tokens"

    def get_queryset(self):
        country_code, party_id = selectors.own_party()
        return selectors.token_list(own=True, country_code=country_code, party_id=party_id).values("pk", *TOKEN_COLUMNS)

    def serialize(self, items):
        return [token_to_ocpi(row) for row in items]


class TokenAuthorizeView(OcpiView):
    ocpi_module = "tokens"

    def post(self, request, token_uid):
        token_type = token_type_param(request)
        location = validate_location_references(request.data if request.body else None)
        token = selectors.token_get_own(uid=token_uid, type=token_type)
        if token is None:
            raise UnknownToken(f"Unknown token {token_uid} ({token_type})")
        result = token_authorize(token=token, location=location, partner_id=self.caller.partner_id)
        return self.ok(result.to_ocpi())


class TokenReceiverView(PartnerObjectReceiverView):
    ocpi_module = "tokens"  # owner role (EMSP) comes from the registry
    body_ids = {"uid": "uid", "type": "type"}
    selector = staticmethod(selectors.token_get_received)
    render = staticmethod(token_to_ocpi)
    serializers = {"PUT": validate_token, "PATCH": validate_token_patch}
    services = {"PUT": receive.token_put_from_partner, "PATCH": receive.token_patch_from_partner}
    keep_raw = ("PUT", "PATCH")
    object_name = "token"

    def url_ids(self, *, token_uid: str) -> dict[str, str]:
        # A token is (uid, type): the type is the URL's ``?type=``, RFID when omitted (Receiver GET/PUT/PATCH).
        return {"uid": token_uid, "type": token_type_param(self.request)}
