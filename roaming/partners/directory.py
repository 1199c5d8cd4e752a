"""The partners app's answers to the OCPI core's push/pull engines (see ``roaming.ocpi.directory``)."""

from roaming.ocpi.client import OcpiClient
from roaming.partners import selectors
from roaming.partners.choices import PartnerStatus
from roaming.partners.client import PartnerClient
from roaming.partners.models import Partner


class PartnerDirectory:
    def receivers(self, identifier: str) -> list[int]:
        return selectors.partner_receiver_ids(identifier=identifier)

    def endpoint_url(self, partner_id: int, identifier: str, role: str) -> str | None:
        return selectors.partner_endpoint_url(partner_id=partner_id, identifier=identifier, role=role)

    def client(self, partner_id: int) -> OcpiClient:
        return PartnerClient(Partner.objects.get(pk=partner_id))

    def state(self, partner_id: int) -> str:
        status = selectors.partner_status(partner_id=partner_id)
        if status == PartnerStatus.REGISTERED:
            return "active"
        if status in (PartnerStatus.SUSPENDED, PartnerStatus.REGISTERING):
            return "paused"
        return "gone"
