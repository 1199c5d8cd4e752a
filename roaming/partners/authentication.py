"""The credentials backend the OCPI core calls to resolve a presented token to a partner.

Tokens are looked up by SHA-256 digest and compared in constant time. A registration token (A) only works while
the partner is invited; an access token only while it is registered (or, limited like token A, while we
register with it). Suspended and unregistered partners get 401. A token whose revocation lies in the future is in
its rotation grace period (credentials PUT): valid until then, or until the partner first uses its successor.

Every OCPI call starts here, so the lookup is one SQL statement (token, partner and roles joined) written once,
not two ORM queries compiled on each call: nothing is cached, so a revoked token or a suspended partner is refused
on its very next call.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from roaming.core.crypto import digests_equal, token_digest
from roaming.core.sql import hot_cursor
from roaming.ocpi.caller import OcpiCaller
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import Partner, PartnerRole, PartnerToken

_VALID_STATUS = {TokenKind.REGISTRATION: {PartnerStatus.INVITED}, TokenKind.ACCESS: {PartnerStatus.REGISTERED}}


@dataclass
class _Row:
    """A live token with its partner and the partner's roles, as ``_lookup`` reads them."""

    pk: int
    partner_id: int
    kind: str
    digest: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    partner_name: str
    partner_status: str
    partner_version: str
    token_type_field: str
    roles: list[tuple[str, str, str]]


@cache
def _lookup_sql(placeholders: int) -> str:
    q = connection.ops.quote_name
    token, partner, role = (q(m._meta.db_table) for m in (PartnerToken, Partner, PartnerRole))
    return (
        f"SELECT t.id, t.partner_id, t.kind, t.digest, t.created_at, t.revoked_at, t.last_used_at, "  # noqa: S608
        f"p.name, p.status, p.version, p.token_type_field, r.country_code, r.party_id, r.role "
        f"FROM {token} t JOIN {partner} p ON p.id = t.partner_id LEFT JOIN {role} r ON r.partner_id = p.id "
        f"WHERE t.digest IN ({', '.join(['%s'] * placeholders)}) AND (t.revoked_at IS NULL OR t.revoked_at > %s) "
        f"ORDER BY t.id, r.country_code, r.party_id, r.role"
    )


def _aware(value) -> datetime | None:
    """A timestamp column as read by a raw cursor: aware on PostgreSQL, naive UTC (or text) on SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _lookup(digests: list[str], now: datetime) -> list[_Row]:
    """Live tokens with these digests (a revocation in the future is a rotation grace period: still live), with
    partner and roles, in one statement."""
    rows: dict[int, _Row] = {}
    with hot_cursor() as cursor:  # every OCPI call: planned once per connection
        cursor.execute(_lookup_sql(len(digests)), [*digests, connection.ops.adapt_datetimefield_value(now)])
        for pk, partner_id, kind, digest, created, revoked, used, name, status, version, type_field, *role in cursor:
            row = rows.get(pk)
            if row is None:
                row = rows[pk] = _Row(
                    pk, partner_id, kind, digest, _aware(created), _aware(revoked), _aware(used),
                    name, status, version, type_field, [],
                )  # fmt: skip
            if role[0] is not None:
                row.roles.append(tuple(role))
    return list(rows.values())


class PartnerCredentialsBackend:
    def authenticate(self, candidates: list[tuple[str, str]]) -> OcpiCaller | None:
        digests = {token_digest(token): (token, encoding) for token, encoding in candidates}
        now = timezone.now()
        for row in _lookup(list(digests), now):
            token, encoding = next(
                ((t, e) for d, (t, e) in digests.items() if digests_equal(d, row.digest)), (None, None)
            )
            if token is None:
                continue
            kind = row.kind
            if row.partner_status == PartnerStatus.REGISTERING and kind == TokenKind.ACCESS:
                # We are registering with this partner: the token B we just sent must answer its GETs on our
                # versions while our POST is in flight, but nothing more until the handshake completes.
                kind = TokenKind.REGISTRATION
            elif row.partner_status not in _VALID_STATUS[kind]:
                continue  # the other reading of the header (plain vs Base64) may still match a live token
            if row.revoked_at is not None and _successor_used(row):
                # In its rotation grace period, but the partner has used the new token: this one is over. (Checked
                # here, on the rare calls with an old token, so the usual call costs no extra query.)
                PartnerToken.objects.filter(pk=row.pk).update(revoked_at=now)
                continue
            # Touch at most once a minute: a write per request would cost more than the request.
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                PartnerToken.objects.filter(pk=row.pk).update(last_used_at=now)
            roles = tuple(row.roles)
            return OcpiCaller(
                partner_id=row.partner_id,
                partner_name=row.partner_name,
                token_kind=kind,
                token=token,
                token_encoding=encoding,
                parties=frozenset((cc, pid) for cc, pid, _ in roles),
                roles=roles,
                version=row.partner_version or None,
                token_type_field=row.token_type_field,
            )
        return None


def _successor_used(row: _Row) -> bool:
    return PartnerToken.objects.filter(
        partner_id=row.partner_id, kind=TokenKind.ACCESS, created_at__gt=row.created_at, last_used_at__isnull=False
    ).exists()
