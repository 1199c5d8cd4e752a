"""Reads about partners."""

from django.db.models import QuerySet

from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner, PartnerEndpoint


def partner_list_registered() -> QuerySet[Partner]:
    return Partner.objects.filter(status=PartnerStatus.REGISTERED).prefetch_related("roles", "endpoints")


def partner_endpoint_url(*, partner: Partner, identifier: str, role: str) -> str | None:
    """The URL a partner published for ``identifier``/``role`` in its version details, if any."""
    for endpoint in partner.endpoints.all():  # uses the prefetch when there is one
        if endpoint.identifier == identifier and endpoint.role == role:
            return endpoint.url
    return None


def partners_with_endpoint(*, identifier: str, role: str) -> QuerySet[Partner]:
    """Registered partners that published ``identifier``/``role`` (e.g. locations RECEIVER, for pushes)."""
    partner_ids = PartnerEndpoint.objects.filter(identifier=identifier, role=role).values("partner_id")
    return partner_list_registered().filter(pk__in=partner_ids)


def partner_find_by_party(*, country_code: str, party_id: str) -> Partner | None:
    return (
        Partner.objects.filter(roles__country_code=country_code.upper(), roles__party_id=party_id.upper())
        .exclude(status=PartnerStatus.UNREGISTERED)
        .first()
    )
