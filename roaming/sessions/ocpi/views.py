"""Sessions module endpoints (mod_sessions.asciidoc, "Interfaces and Endpoints").

* Sender (our CPO): ``GET {sessions}?date_from=...`` — our sessions of the caller's drivers only, paginated
  (``date_from`` is required by the spec); ``PUT {sessions}/{session_id}/charging_preferences``.
* Receiver (our eMSP): ``GET``/``PUT``/``PATCH {sessions}/{country_code}/{party_id}/{session_id}``.
"""

from collections.abc import Mapping

from roaming.ocpi.exceptions import InvalidParameters, NotFound
from roaming.ocpi.fields import cistring_equal
from roaming.ocpi.status import OcpiStatus
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.sessions import selectors
from roaming.sessions.ocpi.render import session_to_ocpi
from roaming.sessions.ocpi.serializers import (
    validate_charging_preferences,
    validate_session,
    validate_session_patch,
)
from roaming.sessions.services import preferences, receive


class NotCapable(NotFound):
    """mod_sessions.asciidoc, Set Charging Preferences: an EVSE without the capability answers 404 + 2001."""

    status_code = OcpiStatus.INVALID_PARAMETERS


def _object_body(body, what: str) -> Mapping:
    if isinstance(body, list) and len(body) == 1:  # a single object wrapped in a list: parse leniently
        body = body[0]
    if not isinstance(body, Mapping):
        raise InvalidParameters(f"The request body must be a {what} object")
    return body


class SessionSenderListView(OcpiListView):
    ocpi_module = "sessions"
    date_from_required = True

    def get_queryset(self):
        return selectors.session_list_for_emsp(parties=self.caller.parties)

    def serialize(self, items):
        return [session_to_ocpi(session) for session in items]


class SessionChargingPreferencesView(OcpiView):
    ocpi_module = "sessions"

    def put(self, request, session_id):
        data = validate_charging_preferences(_object_body(request.data, "ChargingPreferences"))
        try:
            result = preferences.session_set_charging_preferences(
                parties=set(self.caller.parties), session_id=session_id, preferences=dict(data)
            )
        except preferences.NotCapable as exc:
            raise NotCapable(f"{exc.field}: {exc.message}") from exc
        return self.ok(result)


class SessionReceiverView(OcpiView):
    ocpi_module = "sessions"

    def get(self, request, country_code, party_id, session_id):
        country_code, party_id = self.check_party(country_code, party_id)
        session = selectors.session_get_received(country_code=country_code, party_id=party_id, session_id=session_id)
        if session is None:
            raise NotFound(f"Unknown session {country_code}/{party_id}/{session_id}")
        return self.ok(session_to_ocpi(session))

    def put(self, request, country_code, party_id, session_id):
        country_code, party_id = self.check_party(country_code, party_id)
        sent = _object_body(request.data, "Session")
        # The URL names the object (transport_and_format.asciidoc, client owned objects): fill ids the body omits,
        # refuse ids that contradict it.
        body = {**sent}
        for field, value in (("country_code", country_code), ("party_id", party_id), ("id", session_id)):
            if body.get(field) is None:
                body[field] = value
            elif not isinstance(body[field], str) or not cistring_equal(body[field], value):
                raise InvalidParameters(f"{field}: '{body[field]}' does not match '{value}' in the URL")
        result = receive.session_put_from_partner(
            partner_id=self.caller.partner_id, data=validate_session(body), raw=sent
        )
        if result.outcome == receive.ReceiveOutcome.STALE:
            return self.ok(status_message="Older than the session we hold (last_updated); ignored")
        return self.ok(http_status=201 if result.created else 200)

    def patch(self, request, country_code, party_id, session_id):
        country_code, party_id = self.check_party(country_code, party_id)
        sent = _object_body(request.data, "Session")
        for field, value in (("country_code", country_code), ("party_id", party_id), ("id", session_id)):
            if sent.get(field) is not None and not cistring_equal(str(sent[field]), value):
                raise InvalidParameters(f"{field}: '{sent[field]}' does not match '{value}' in the URL")
        data = validate_session_patch({k: v for k, v in sent.items() if k not in ("country_code", "party_id", "id")})
        result = receive.session_patch_from_partner(
            partner_id=self.caller.partner_id,
            country_code=country_code,
            party_id=party_id,
            session_id=session_id,
            data=data,
            raw=sent,
        )
        if result.outcome == receive.ReceiveOutcome.STALE:
            return self.ok(status_message="Older than the session we hold (last_updated); ignored")
        return self.ok()
