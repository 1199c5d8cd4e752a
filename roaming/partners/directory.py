"""The partners app's answers to the OCPI core's push/pull engines (see ``roaming.ocpi.directory``)."""

from roaming.ocpi.client import OcpiClient
from roaming.partners.choices import PartnerStatus
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner, PartnerEndpoint


class PartnerDirectory:
    def receivers(self, identifier: str) -> list[int]:
        return list(
            PartnerEndpoint.objects.filter(
                identifier=identifier, role="RECEIVER", partner__status=PartnerStatus.REGISTERED
            )
            .values_list("partner_id", flat=True)
            .distinct()
        )

    def endpoint_url(self, partner_id: int, identifier: str, role: str) -> str | None:
        return (
            PartnerEndpoint.objects.filter(partner_id=partner_id, identifier=identifier, role=role)
            .values_list("url", flat=True)
            .first()
        )

    def client(self, partner_id: int) -> OcpiClient:
        return PartnerClient(Partner.objects.get(pk=partner_id))

    def state(self, partner_id: int) -> str:
        status = Partner.objects.filter(pk=partner_id).values_list("status", flat=True).first()
        if status == PartnerStatus.REGISTERED:
            return "active"
        if status in (PartnerStatus.SUSPENDED, PartnerStatus.REGISTERING):
            return "paused"
        return "gone"
