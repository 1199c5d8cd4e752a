"""Session as OCPI 2.2.1 JSON (mod_sessions.asciidoc, "Session Object").

Emit strictly: keys in the spec's order, optional fields left out when empty, DateTimes with ``Z``, money as
``Decimal``. For our own sessions only *closed* charging periods are published (all of them once the session is
final): a Session PATCH appends ``charging_periods`` (mod_sessions.asciidoc, PATCH Method), so a period must not be
sent before its volumes are final, or the eMSP would hold it twice.
"""

from decimal import Decimal

from roaming.ocpi.datetimes import format_datetime
from roaming.sessions.models import ChargingSession


def total_cost_to_ocpi(session: ChargingSession) -> dict | None:
    if session.total_cost_excl_vat is None:
        return None
    price = {"excl_vat": Decimal(session.total_cost_excl_vat)}
    if session.total_cost_incl_vat is not None:
        price["incl_vat"] = Decimal(session.total_cost_incl_vat)
    return price


def published_periods(session: ChargingSession) -> list[dict]:
    """The charging periods a partner may hold: all of a received session or of a final one, else the closed ones."""
    periods = session.charging_periods or []
    if not session.is_own or session.is_final:
        return list(periods)
    return list(periods[:-1])


def session_to_ocpi(session: ChargingSession) -> dict:
    out = {
        "country_code": session.country_code,
        "party_id": session.party_id,
        "id": session.session_id,
        "start_date_time": format_datetime(session.start_date_time),
    }
    if session.end_date_time is not None:
        out["end_date_time"] = format_datetime(session.end_date_time)
    out["kwh"] = Decimal(session.kwh)
    out["cdr_token"] = session.cdr_token
    out["auth_method"] = session.auth_method
    if session.authorization_reference:
        out["authorization_reference"] = session.authorization_reference
    out["location_id"] = session.location_id
    out["evse_uid"] = session.evse_uid
    out["connector_id"] = session.connector_id
    if session.meter_id:
        out["meter_id"] = session.meter_id
    out["currency"] = session.currency
    periods = published_periods(session)
    if periods:
        out["charging_periods"] = periods
    total_cost = total_cost_to_ocpi(session)
    if total_cost is not None:
        out["total_cost"] = total_cost
    out["status"] = session.status
    out["last_updated"] = format_datetime(session.last_updated)
    return out
