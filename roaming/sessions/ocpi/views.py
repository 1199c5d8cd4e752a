"""Sessions module endpoints (mod_sessions.asciidoc, "Interfaces and Endpoints").

* Sender (our CPO): ``GET {sessions}?date_from=...`` — our sessions of the caller's drivers only (its eMSP roles),
  paginated (``date_from`` is required by the spec); ``PUT {sessions}/{session_id}/charging_preferences``.
* Receiver (our eMSP): ``GET``/``PUT``/``PATCH {sessions}/{country_code}/{party_id}/{session_id}``, on the kit.
"""

from roaming.ocpi.exceptions import InvalidParameters, NotFound
from roaming.ocpi.kit.views import PartnerObjectReceiverView
from roaming.ocpi.status import OcpiStatus
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.sessions import selectors
from roaming.sessions.ocpi.render import session_to_ocpi
from roaming.sessions.ocpi.serializers import (
    SessionPatchSerializer,
    SessionSerializer,
    validate_charging_preferences,
)
from roaming.sessions.services import preferences, receive


class NotCapable(NotFound):
    """mod_sessions.asciidoc, Set Charging Preferences: an EVSE without the capability answers 404 + 2001."""

    status_code = OcpiStatus.INVALID_PARAMETERS


def emsp_parties(caller) -> set[tuple[str, str]]:
    """The caller's eMSP roles: the drivers whose sessions it may see and steer."""
    return {(cc.upper(), pid.upper()) for cc, pid, role in caller.roles if role.upper() == "EMSP"}


class SessionSenderListView(OcpiListView):
    ocpi_module = "sessions"
    date_from_required = True

    def get_queryset(self):
        return selectors.session_list_for_emsp(parties=emsp_parties(self.caller))

    def serialize(self, items):
        return [session_to_ocpi(session) for session in items]


class SessionChargingPreferencesView(OcpiView):
    ocpi_module = "sessions"

    def put(self, request, session_id):
        body = request.data[0] if isinstance(request.data, list) and len(request.data) == 1 else request.data
        if not isinstance(body, dict):
            raise InvalidParameters("request body: a ChargingPreferences object is required")
        data = validate_charging_preferences(body)
        try:
            result = preferences.session_set_charging_preferences(
                parties=emsp_parties(self.caller), session_id=session_id, preferences=dict(data)
            )
        except preferences.NotCapable as exc:
            raise NotCapable(f"{exc.field}: {exc.message}") from exc
        return self.ok(result)


class SessionReceiverView(PartnerObjectReceiverView):
    ocpi_module = "sessions"
    body_ids = {"session_id": "id"}
    object_name = "session"
    selector = staticmethod(selectors.session_get_received)
    render = staticmethod(session_to_ocpi)
    serializers = {"PUT": SessionSerializer, "PATCH": SessionPatchSerializer}
    services = {"PUT": receive.session_put_from_partner, "PATCH": receive.session_patch_from_partner}
    keep_raw = ("PUT", "PATCH")
