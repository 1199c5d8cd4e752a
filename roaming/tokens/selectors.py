"""Reads of Tokens and of the authorizations around them (mod_tokens.asciidoc).

Token uids are CiStrings (types.asciidoc): looked up case-insensitively through the ``UPPER(uid), type`` index;
``country_code``/``party_id`` are stored upper-case. A token renders from its own row, so every read is one query.
"""

from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Upper

from roaming.core.sql import columns, fetch_instance
from roaming.tokens.models import AuthorizationDecision, Token


def own_party() -> tuple[str, str]:
    return settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID


def token_list(
    *,
    own: bool | None = None,
    country_code: str | None = None,
    party_id: str | None = None,
    contract_id: str | None = None,
) -> QuerySet[Token]:
    """Tokens for the Sender GET list, the internal API and the admin. ``own=True``: our eMSP's tokens;
    ``own=False``: the CPO side's cache of partners' tokens; ``None``: both."""
    queryset = Token.objects.all()
    if own is not None:
        queryset = queryset.filter(source_partner__isnull=own)
    if country_code:
        queryset = queryset.filter(country_code=country_code.upper())
    if party_id:
        queryset = queryset.filter(party_id=party_id.upper())
    if contract_id:
        queryset = queryset.filter(contract_id__iexact=contract_id)
    return queryset


def _by_uid(queryset: QuerySet[Token], uid: str, type: str) -> QuerySet[Token]:
    return queryset.annotate(uid_upper=Upper("uid")).filter(uid_upper=uid.upper(), type=type)


@cache
def _token_sql(own: bool | None, by_party: bool, latest: bool) -> str:
    q = connection.ops.quote_name
    where = ["UPPER(uid) = %s", "type = %s"]
    if by_party:
        where[:0] = ["country_code = %s", "party_id = %s"]
    if own is not None:
        where.append(f"source_partner_id IS {'' if own else 'NOT '}NULL")
    order = "last_updated DESC, id DESC" if latest else "id"
    table = q(Token._meta.db_table)
    return f"SELECT {columns(Token)} FROM {table} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 1"  # noqa: S608


def _one_token(own: bool | None, country_code: str, party_id: str, uid: str, type: str, *, latest: bool = False):
    """One token in one statement written once (``_token_sql``): authorization and every session and CDR a partner
    sends look a token up, and the ORM's compile of the same query costs more than the query."""
    if bool(country_code) != bool(party_id):  # half a party (no caller sends one): the ORM's general filter
        queryset = _by_uid(token_list(own=own, country_code=country_code, party_id=party_id), uid, type)
        return queryset.order_by(*(("-last_updated", "-pk") if latest else ("pk",))).first()
    by_party = bool(country_code)
    params = [country_code.upper(), party_id.upper(), uid.upper(), type] if by_party else [uid.upper(), type]
    return fetch_instance(Token, _token_sql(own, by_party, latest), params)


def token_get(*, country_code: str, party_id: str, uid: str, type: str, own: bool | None = None) -> Token | None:
    """One token by its (country_code, party_id, uid, type) key, or None."""
    return _one_token(own, country_code, party_id, uid, type)


def token_get_received(*, country_code: str, party_id: str, uid: str, type: str) -> Token | None:
    """A partner's token in the CPO side's cache (Receiver GET), or None."""
    return token_get(country_code=country_code, party_id=party_id, uid=uid, type=type, own=False)


def token_get_own(*, uid: str, type: str) -> Token | None:
    """One of our eMSP's tokens (mod_tokens.asciidoc, Sender POST authorize), or None."""
    country_code, party_id = own_party()
    return token_get(country_code=country_code, party_id=party_id, uid=uid, type=type, own=True)


def token_find_cached(*, uid: str, type: str, country_code: str = "", party_id: str = "") -> Token | None:
    """The cached token of an eMSP partner a charger read (CPO side). The charger knows only uid and type; two
    eMSPs issuing the same uid is possible in theory, and the most recently updated one wins then."""
    return _one_token(False, country_code, party_id, uid, type, latest=True)


def decision_list() -> QuerySet[AuthorizationDecision]:
    return AuthorizationDecision.objects.select_related("partner")
