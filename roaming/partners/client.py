"""An ``OcpiClient`` bound to a partner: its token, its encoding, and contact bookkeeping."""

from django.utils import timezone

from roaming.ocpi.client import OcpiClient, OcpiClientError
from roaming.partners.models import Partner


class PartnerClient(OcpiClient):
    """Calls ``partner`` and records the last successful / failed contact on it."""

    def __init__(self, partner: Partner, *, token: str | None = None, **kwargs):
        role = partner.roles.first() if partner.pk else None
        kwargs.setdefault("partner_party", (role.country_code, role.party_id) if role else None)
        super().__init__(
            token if token is not None else partner.their_token,
            partner_id=partner.pk,
            token_encoding=partner.token_encoding,
            token_type_field=partner.token_type_field,
            **kwargs,
        )
        self.partner = partner

    def request(self, method, url, **kwargs):
        try:
            result = super().request(method, url, **kwargs)
        except OcpiClientError as exc:
            Partner.objects.filter(pk=self.partner.pk).update(
                last_failure_at=timezone.now(), last_error=exc.message[:2000]
            )
            raise
        Partner.objects.filter(pk=self.partner.pk).update(last_success_at=timezone.now())
        return result


def partner_client(partner: Partner, **kwargs) -> PartnerClient:
    return PartnerClient(partner, **kwargs)
