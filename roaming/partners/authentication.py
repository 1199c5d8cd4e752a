"""The credentials backend the OCPI core calls to resolve a presented token to a partner.

Tokens are looked up by SHA-256 digest and compared in constant time. A registration token (A) only works while
the partner is invited; an access token only while it is registered (or, limited like token A, while we
register with it). Suspended and unregistered partners get 401. A token whose revocation lies in the future is in
its rotation grace period (credentials PUT): valid until then, or until the partner first uses its successor.
"""

from django.db.models import Q
from django.utils import timezone

from roaming.core.crypto import digests_equal, token_digest
from roaming.ocpi.caller import OcpiCaller
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import PartnerToken

_VALID_STATUS = {TokenKind.REGISTRATION: {PartnerStatus.INVITED}, TokenKind.ACCESS: {PartnerStatus.REGISTERED}}


class PartnerCredentialsBackend:
    def authenticate(self, candidates: list[tuple[str, str]]) -> OcpiCaller | None:
        digests = {token_digest(token): (token, encoding) for token, encoding in candidates}
        now = timezone.now()
        rows = list(
            # A revocation in the future is a rotation grace period (credentials PUT): still valid until then.
            PartnerToken.objects.filter(digest__in=list(digests))
            .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=now))
            .select_related("partner")
            .prefetch_related("partner__roles")
        )
        for row in rows:
            token, encoding = next(
                ((t, e) for d, (t, e) in digests.items() if digests_equal(d, row.digest)), (None, None)
            )
            if token is None:
                continue
            partner = row.partner
            kind = row.kind
            if partner.status == PartnerStatus.REGISTERING and kind == TokenKind.ACCESS:
                # We are registering with this partner: the token B we just sent must answer its GETs on our
                # versions while our POST is in flight, but nothing more until the handshake completes.
                kind = TokenKind.REGISTRATION
            elif partner.status not in _VALID_STATUS[kind]:
                continue  # the other reading of the header (plain vs Base64) may still match a live token
            if row.revoked_at is not None and _successor_used(row):
                # In its rotation grace period, but the partner has used the new token: this one is over. (Checked
                # here, on the rare calls with an old token, so the usual call costs no extra query.)
                PartnerToken.objects.filter(pk=row.pk).update(revoked_at=now)
                continue
            # Touch at most once a minute: a write per request would cost more than the request.
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                PartnerToken.objects.filter(pk=row.pk).update(last_used_at=now)
            roles = tuple((r.country_code, r.party_id, r.role) for r in partner.roles.all())
            return OcpiCaller(
                partner_id=partner.pk,
                partner_name=partner.name,
                token_kind=kind,
                token=token,
                token_encoding=encoding,
                parties=frozenset((cc, pid) for cc, pid, _ in roles),
                roles=roles,
                version=partner.version or None,
                token_type_field=partner.token_type_field,
            )
        return None


def _successor_used(row: PartnerToken) -> bool:
    return PartnerToken.objects.filter(
        partner_id=row.partner_id, kind=TokenKind.ACCESS, created_at__gt=row.created_at, last_used_at__isnull=False
    ).exists()
