"""The partners app's answers to the OCPI core's push/pull engines (see ``roaming.ocpi.directory``)."""

from roaming.ocpi import registry
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

    def client(
        self, partner_id: int, *, module: str = "", interface: str = "", retries: int | None = None
    ) -> OcpiClient:
        partner = Partner.objects.get(pk=partner_id)
        our_role, their_role = registry.routing_roles(module, interface) if module and interface else (None, None)
        kwargs = {"retries": retries}
        if their_role:
            role = selectors.partner_role(partner_id=partner_id, role=their_role)
            if role is not None:
                kwargs["partner_party"] = (role.country_code, role.party_id)
        if our_role:
            kwargs["own_party"] = registry.own_party(our_role)
        return PartnerClient(partner, **kwargs)

    def state(self, partner_id: int) -> str:
        status = selectors.partner_status(partner_id=partner_id)
        if status == PartnerStatus.REGISTERED:
            return "active"
        if status in (PartnerStatus.SUSPENDED, PartnerStatus.REGISTERING):
            return "paused"
        return "gone"
