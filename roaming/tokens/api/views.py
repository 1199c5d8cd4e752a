"""Internal tokens API for our eMSP's driver app and CRM, and the authorization call of our CSMS.

Same conventions as the CSMS API (``roaming.locations.api``): staff API tokens (``Authorization: Token <key>``) or
an admin session; DRF errors (400 naming the field, 401, 403, 404). Views read, call one service or selector, answer.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from roaming.locations.api.views import ERROR_400, CsmsAPIView, CsmsPagination
from roaming.tokens import selectors
from roaming.tokens.api import serializers as s
from roaming.tokens.choices import TokenType
from roaming.tokens.services import own
from roaming.tokens.services.decide import authorization_decide

TAG_TOKENS = "tokens"
TAG_AUTHORIZE = "authorization"
TYPE_PARAM = OpenApiParameter("type", str, enum=TokenType.values, description="Token type (default RFID)")
TOKEN_EXAMPLE = {
    "uid": "04A2B3C4D5E680",
    "type": "RFID",
    "contract_id": "NL-EXA-C12345678-N",
    "issuer": "Example Mobility",
    "visual_number": "EXA-0001-2345",
    "whitelist": "ALLOWED",
}


def _type(request) -> str:
    value = (request.query_params.get("type") or TokenType.RFID).upper()
    if value not in TokenType.values:
        raise exceptions.ValidationError({"type": [f"'{value}' is not one of {', '.join(TokenType.values)}"]})
    return value


class TokenListCreateApiView(generics.ListAPIView, CsmsAPIView):
    """Our eMSP's tokens, newest first; ``?contract_id=`` lists one contract's tokens."""

    serializer_class = s.TokenReadSerializer
    pagination_class = CsmsPagination
    filter_backends = []

    def get_queryset(self):
        country_code, party_id = selectors.own_party()
        contract_id = self.request.query_params.get("contract_id") or None
        return selectors.token_list(
            own=True, country_code=country_code, party_id=party_id, contract_id=contract_id
        ).order_by("-pk")

    @extend_schema(
        tags=[TAG_TOKENS],
        summary="List our tokens (paginated), optionally of one contract",
        parameters=[OpenApiParameter("contract_id", str, description="eMA ID of the contract")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG_TOKENS],
        summary="Create (or replace) a token",
        description="Creates the token with this `(uid, type)`, or replaces it; CPO partners receive it (PUT).",
        request=s.TokenWriteSerializer,
        responses={200: s.TokenReadSerializer, 201: s.TokenReadSerializer, 400: ERROR_400},
        examples=[OpenApiExample("RFID card", value=TOKEN_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        serializer = s.TokenWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, created = own.token_save_own(data=serializer.validated_data)
        return Response(
            s.TokenReadSerializer(token).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _own_token(request, uid: str):
    token = selectors.token_get_own(uid=uid, type=_type(request))
    if token is None:
        raise exceptions.NotFound(f"No token with uid '{uid}'.")
    return token


class TokenApiView(CsmsAPIView):
    @extend_schema(
        tags=[TAG_TOKENS],
        summary="Get one of our tokens",
        parameters=[TYPE_PARAM],
        responses={200: s.TokenReadSerializer},
    )
    def get(self, request, uid: str):
        return Response(s.TokenReadSerializer(_own_token(request, uid)).data)

    @extend_schema(
        tags=[TAG_TOKENS],
        summary="Change some fields of one of our tokens",
        description="CPO partners receive a PATCH when only `valid`/`whitelist` changed, else a PUT.",
        parameters=[TYPE_PARAM],
        request=s.TokenPatchSerializer,
        responses={200: s.TokenReadSerializer, 400: ERROR_400},
    )
    def patch(self, request, uid: str):
        token = _own_token(request, uid)
        serializer = s.TokenPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = own.token_update_own(token=token, changes=serializer.validated_data)
        return Response(s.TokenReadSerializer(token).data)


class TokenBlockApiView(CsmsAPIView):
    valid = False

    @extend_schema(
        tags=[TAG_TOKENS],
        summary="Block (or unblock) a token; CPO partners receive the change at once",
        parameters=[TYPE_PARAM],
        request=None,
        responses={200: s.TokenReadSerializer},
    )
    def post(self, request, uid: str):
        token = _own_token(request, uid)
        own.tokens_set_valid(tokens=[token], valid=self.valid)
        token.refresh_from_db()
        return Response(s.TokenReadSerializer(token).data)


class TokenUnblockApiView(TokenBlockApiView):
    valid = True


class ContractTokensApiView(CsmsAPIView):
    @extend_schema(
        tags=[TAG_TOKENS], summary="All tokens of one contract", responses={200: s.TokenReadSerializer(many=True)}
    )
    def get(self, request, contract_id: str):
        country_code, party_id = selectors.own_party()
        tokens = selectors.token_list(
            own=True, country_code=country_code, party_id=party_id, contract_id=contract_id
        ).order_by("pk")
        return Response(s.TokenReadSerializer(tokens, many=True).data)


class AuthorizeApiView(CsmsAPIView):
    @extend_schema(
        tags=[TAG_AUTHORIZE],
        summary="May this token charge at this charger?",
        description=(
            "Decides for a token a charger read (uid, type) at one of our chargers (CSMS `charger_id` or "
            "`evse_uid`), following the token's whitelist: from the token cache, or in real time at the owning "
            "eMSP with a short timeout and the cache as fallback where the whitelist allows it. Our own eMSP's "
            "tokens are decided locally. Always 200 with `allowed` and the `reason`; every decision is recorded "
            "(admin: Tokens > Authorization decisions). 404 for an unknown charger."
        ),
        request=s.AuthorizeRequestSerializer,
        responses={200: s.AuthorizeResponseSerializer, 400: ERROR_400},
        examples=[
            OpenApiExample("RFID card at a charger", value={"uid": "04A2B3C4D5E680", "charger_id": "CP-0001"}),
        ],
    )
    def post(self, request):
        serializer = s.AuthorizeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = authorization_decide(
            uid=data["uid"],
            type=data["type"],
            charger_id=data.get("charger_id", ""),
            evse_uid=data.get("evse_uid", ""),
            country_code=data.get("country_code", ""),
            party_id=data.get("party_id", ""),
        )
        return Response(s.AuthorizeResponseSerializer(decision).data)
