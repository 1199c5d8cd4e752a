"""Tokens module endpoints (mod_tokens.asciidoc, "Interfaces and endpoints").

* Sender (our eMSP): ``GET {tokens}`` — our tokens, paginated with ``date_from``/``date_to``; and
  ``POST {tokens}/{token_uid}/authorize[?type=]`` with an optional LocationReferences body → AuthorizationInfo.
  An unknown token is HTTP 404 with 2004 and no ``data``; BLOCKED and the other outcomes are HTTP 200.
* Receiver (our CPO): ``GET``/``PUT``/``PATCH {tokens}/{country_code}/{party_id}/{token_uid}[?type=]`` into the
  token cache; ``type`` defaults to RFID. Tokens are never deleted (no DELETE, no POST).
"""

from collections.abc import Mapping

from roaming.ocpi.exceptions import InvalidParameters, NotFound, UnknownToken
from roaming.ocpi.fields import cistring_equal
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.tokens import selectors
from roaming.tokens.choices import TokenType
from roaming.tokens.ocpi.render import TOKEN_COLUMNS, token_to_ocpi
from roaming.tokens.ocpi.serializers import validate_location_references, validate_token
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


def _single_object(body, name: str) -> Mapping:
    if isinstance(body, list) and len(body) == 1:  # a single object wrapped in a list: parse leniently
        body = body[0]
    if not isinstance(body, Mapping):
        raise InvalidParameters(f"The request body must be a {name} object")
    return body


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


class TokenReceiverView(OcpiView):
    ocpi_module = "tokens"

    def get(self, request, country_code, party_id, token_uid):
        country_code, party_id = self.check_party(country_code, party_id)
        token_type = token_type_param(request)
        token = selectors.token_get(
            country_code=country_code, party_id=party_id, uid=token_uid, type=token_type, own=False
        )
        if token is None:
            raise NotFound(f"Unknown token {country_code}/{party_id}/{token_uid} ({token_type})")
        return self.ok(token_to_ocpi(token))

    def put(self, request, country_code, party_id, token_uid):
        country_code, party_id = self.check_party(country_code, party_id)
        token_type = token_type_param(request)
        sent = _single_object(request.data, "Token")
        body = {**sent}
        # The URL names the object (transport_and_format.asciidoc, client owned objects): fill what the body omits,
        # refuse what contradicts it.
        for field, value in (("country_code", country_code), ("party_id", party_id), ("uid", token_uid)):
            if body.get(field) is None:
                body[field] = value
            elif not isinstance(body[field], str) or not cistring_equal(body[field], value):
                raise InvalidParameters(f"{field}: '{body[field]}' does not match '{value}' in the URL")
        if body.get("type") is None:
            body["type"] = token_type
        data = validate_token(body)
        if data["type"] != token_type and request.query_params.get("type"):
            raise InvalidParameters(f"type: '{data['type']}' does not match '{token_type}' in the URL")
        result = receive.token_put_from_partner(partner_id=self.caller.partner_id, data=data, raw=sent)
        if result.outcome == receive.PutOutcome.STALE:
            return self.ok(status_message="Older than the token we hold (last_updated); ignored")
        return self.ok(http_status=201 if result.created else 200)

    def patch(self, request, country_code, party_id, token_uid):
        country_code, party_id = self.check_party(country_code, party_id)
        token_type = token_type_param(request)
        sent = _single_object(request.data, "Token")
        data = validate_token(sent, partial=True)
        result = receive.token_patch_from_partner(
            partner_id=self.caller.partner_id,
            country_code=country_code,
            party_id=party_id,
            uid=token_uid,
            type=token_type,
            data=data,
            raw=sent,
        )
        if result.outcome == receive.PutOutcome.STALE:
            return self.ok(status_message="Older than the token we hold (last_updated); ignored")
        return self.ok()
