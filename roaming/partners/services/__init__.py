"""Partner onboarding: invitations, the credentials handshake both ways, rotation, unregistering, suspension
(credentials.asciidoc, "Registration" and "Credentials endpoint").

Split by concern: ``onboarding`` (invitations, tokens we issue), ``handshake`` (discovery and validation both
directions share), ``inbound`` (a partner calling our credentials endpoint), ``outbound`` (us calling theirs),
``lifecycle`` (suspend, reactivate, scheduled pulls). Import services from here.
"""

from roaming.partners.services.handshake import REQUIRED_MODULES, Discovery, partner_discover
from roaming.partners.services.inbound import (
    credentials_delete_inbound,
    credentials_register_inbound,
    credentials_update_inbound,
)
from roaming.partners.services.lifecycle import partner_reactivate, partner_schedule_pull, partner_suspend
from roaming.partners.services.onboarding import (
    our_credentials,
    partner_event,
    partner_invite,
    partner_reissue_invitation,
)
from roaming.partners.services.outbound import (
    partner_create_outbound,
    partner_refresh_endpoints,
    partner_register_outbound,
    partner_rotate_credentials,
    partner_unregister,
)

__all__ = [
    "REQUIRED_MODULES",
    "Discovery",
    "credentials_delete_inbound",
    "credentials_register_inbound",
    "credentials_update_inbound",
    "our_credentials",
    "partner_create_outbound",
    "partner_discover",
    "partner_event",
    "partner_invite",
    "partner_reactivate",
    "partner_refresh_endpoints",
    "partner_register_outbound",
    "partner_reissue_invitation",
    "partner_rotate_credentials",
    "partner_schedule_pull",
    "partner_suspend",
    "partner_unregister",
]
