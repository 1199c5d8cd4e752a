import factory
from django.utils import timezone

from roaming.core import crypto
from roaming.partners.choices import PartnerStatus, TokenKind
from roaming.partners.models import Partner, PartnerEndpoint, PartnerRole, PartnerToken


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    status = PartnerStatus.REGISTERED
    version = "2.2.1"
    versions_url = factory.Sequence(lambda n: f"http://partner{n}.invalid/ocpi/versions")
    registered_at = factory.LazyFunction(timezone.now)


class PartnerRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerRole

    partner = factory.SubFactory(PartnerFactory)
    role = "EMSP"
    country_code = "DE"
    party_id = factory.Sequence(lambda n: f"M{n % 100:02d}")
    business_name = factory.LazyAttribute(lambda o: o.partner.name)


def issue_token(partner: Partner, kind: str = TokenKind.ACCESS) -> str:
    token = crypto.generate_token()
    PartnerToken.objects.create(partner=partner, kind=kind, digest=crypto.token_digest(token), hint=token[:4])
    return token


def registered_partner_with_token(
    *, country_code="DE", party_id="MSP", role="EMSP", their_token="their-token", endpoints=()
) -> tuple[Partner, str]:
    partner = PartnerFactory(name=f"{country_code}/{party_id}")
    partner.their_token = their_token
    partner.save()
    PartnerRoleFactory(partner=partner, country_code=country_code, party_id=party_id, role=role)
    for identifier, interface_role, url in endpoints:
        PartnerEndpoint.objects.create(partner=partner, identifier=identifier, role=interface_role, url=url)
    return partner, issue_token(partner)
