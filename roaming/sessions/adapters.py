"""How charging preferences reach our CSMS (mod_sessions.asciidoc, "Set Charging Preferences").

The back office does not talk OCPP itself: ``settings.SESSIONS_CSMS_ADAPTER`` names a class implementing
``CsmsAdapter``; the commands module uses the same pattern. An adapter is called outside any database transaction
and must answer quickly (the eMSP waits for the ChargingPreferencesResponse): hand the request to the CSMS and
return, do not wait for the charger.
"""

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from roaming.sessions.choices import ChargingPreferencesResponse

logger = logging.getLogger("roaming.sessions.csms")


class CsmsAdapter(Protocol):
    def set_charging_preferences(self, *, transaction_id: str, evse_uid: str, preferences: dict) -> str:
        """Pass the driver's ChargingPreferences (``profile_type``, ``departure_time``, ``energy_need``,
        ``discharge_allowed``) for the CSMS transaction on to the CSMS. Return a ChargingPreferencesResponse value:
        ``ACCEPTED``, ``DEPARTURE_REQUIRED``, ``ENERGY_NEED_REQUIRED``, ``NOT_POSSIBLE`` or
        ``PROFILE_TYPE_NOT_SUPPORTED``."""


class LoggingCsmsAdapter:
    """Default adapter for a CSMS that reads preferences from the back office (admin, CSMS API ``GET
    /api/v1/sessions/{transaction_id}``) rather than being called: records them in the log and accepts."""

    def set_charging_preferences(self, *, transaction_id: str, evse_uid: str, preferences: dict) -> str:
        logger.info("charging preferences for transaction %s at %s: %s", transaction_id, evse_uid, preferences)
        return ChargingPreferencesResponse.ACCEPTED


@cache
def csms_adapter() -> CsmsAdapter:
    return import_string(settings.SESSIONS_CSMS_ADAPTER)()
