"""Charging preferences an eMSP sets on one of our sessions (mod_sessions.asciidoc, "Set Charging Preferences",
ChargingPreferences and ChargingPreferencesResponse).

Accepted only for a running session of the eMSP's own driver at an EVSE with the ``CHARGING_PREFERENCES_CAPABLE``
capability (mod_locations.asciidoc, Capability). A profile other than REGULAR needs a tariff for it at the
connector ("a Tariff must exist for every ProfileType offered"). The preferences are stored, then handed to the
CSMS through the configured adapter, whose answer is the response.
"""

from django.db import transaction

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.sessions.adapters import csms_adapter
from roaming.sessions.choices import FINAL_STATUSES, ChargingPreferencesResponse, ProfileType
from roaming.sessions.models import ChargingSession
from roaming.tariffs.models import Tariff

CAPABILITY = "CHARGING_PREFERENCES_CAPABLE"


class NotCapable(InvalidInput):
    """The EVSE cannot take preferences: HTTP 404 with OCPI 2001 (mod_sessions.asciidoc, PUT Method)."""


def _profile_supported(session: ChargingSession, profile_type: str) -> bool:
    if profile_type == ProfileType.REGULAR:
        return True
    tariff_ids = [str(t).upper() for t in (session.own_connector.tariff_ids or [])] if session.own_connector else []
    wanted = f"PROFILE_{profile_type}"
    tariffs = Tariff.objects.filter(
        country_code=session.country_code, party_id=session.party_id, source_partner__isnull=True, type=wanted
    ).values_list("tariff_id", flat=True)
    return any(t.upper() in tariff_ids for t in tariffs)


def session_set_charging_preferences(*, parties: set, session_id: str, preferences: dict) -> str:
    """Store and forward ``preferences`` for our session ``session_id`` if it belongs to one of ``parties`` (the
    calling eMSP's roles); return the ChargingPreferencesResponse value."""
    session = (
        ChargingSession.objects.select_related("own_evse", "own_connector")
        .filter(source_partner__isnull=True, session_id__iexact=session_id)
        .first()
    )
    if session is None or (session.emsp_country_code, session.emsp_party_id) not in parties:
        raise ObjectNotFound(f"Unknown session {session_id}")
    if session.own_evse is None or CAPABILITY not in (session.own_evse.capabilities or []):
        raise NotCapable(f"EVSE {session.evse_uid} does not accept charging preferences", field="session_id")
    if session.status in FINAL_STATUSES:
        return ChargingPreferencesResponse.NOT_POSSIBLE
    if not _profile_supported(session, preferences["profile_type"]):
        return ChargingPreferencesResponse.PROFILE_TYPE_NOT_SUPPORTED
    with transaction.atomic():
        ChargingSession.objects.filter(pk=session.pk).update(charging_preferences=preferences)
    return csms_adapter().set_charging_preferences(
        transaction_id=session.csms_transaction_id, evse_uid=session.evse_uid, preferences=preferences
    )
