"""Our CPO's CDR for a completed session (mod_cdrs.asciidoc, CDR object; Flow and Lifecycle: "CDRs are created by
the CPO [...] after the charging session has ended").

* ``cdr_location``: the location, EVSE and connector as they were at session start (``SessionLocationSnapshot``,
  taken when the session was created), with CdrLocation's shorter limits (address 45, state 20: cut, since the
  spec's errata left CdrLocation shorter than Location);
* ``tariffs``: the tariff the session kept from its start, in full, as it was;
* the charging periods and every total from the pricing engine, re-priced from those periods, so the eMSP
  re-pricing the CDR from what it carries finds the same figures;
* a session with no energy still gets a CDR (the eMSP can tell "free" from "lost"); without a tariff the session
  was free: ``total_cost`` 0.
The CDR's id is the session's id (36 characters at most), so one session makes one CDR, however often it is saved.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from roaming.cdrs.models import Cdr, SessionLocationSnapshot
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.cdrs.services.credit import cdr_create_own
from roaming.ocpi.datetimes import format_datetime
from roaming.tariffs import pricing
from roaming.tariffs.ocpi.render import jsonable

logger = logging.getLogger("roaming.cdrs")


def cdr_location_of(connector) -> dict:
    """CdrLocation (mod_cdrs.asciidoc) of one of our connectors as it is now."""
    evse = connector.evse
    location = evse.location
    data = {
        "id": location.location_id,
        "name": location.name,
        "address": location.address[:45],
        "city": location.city[:45],
        "postal_code": location.postal_code,
        "state": location.state[:20],
        "country": location.country,
        "coordinates": {"latitude": location.latitude, "longitude": location.longitude},
        "evse_uid": evse.uid,
        "evse_id": evse.evse_id or evse.uid,
        "connector_id": connector.connector_id,
        "connector_standard": connector.standard,
        "connector_format": connector.format,
        "connector_power_type": connector.power_type,
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def session_location_snapshot_take(*, session) -> None:
    """Keep the CdrLocation of a session that just started (our own sessions with a connector only)."""
    if session.source_partner_id is not None or session.own_connector_id is None:
        return
    SessionLocationSnapshot.objects.get_or_create(
        session=session, defaults={"cdr_location": cdr_location_of(session.own_connector)}
    )


def _priced(session) -> dict:
    """Charging periods and totals from the engine, priced from the session's final periods."""
    start, end = format_datetime(session.start_date_time), format_datetime(session.end_date_time)
    periods = session.charging_periods or []
    if not periods:  # stopped the moment it started: one empty period, the CDR still says what happened
        periods = [{"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": 0}]}]
    if not session.tariff or session.end_date_time <= session.start_date_time:
        free = {"excl_vat": Decimal(0)}
        if session.tariff:
            free["incl_vat"] = Decimal(0)
        return {
            "charging_periods": periods,
            "total_cost": free,
            "total_energy": session.kwh,
            "total_time": Decimal((session.end_date_time - session.start_date_time).total_seconds()) / 3600,
        }
    zone = session.own_location.time_zone if session.own_location_id else "UTC"
    result = pricing.price_cdr(
        pricing.parse_tariff(session.tariff),
        {"charging_periods": periods, "end_date_time": end},
        time_zone=zone,
    )
    priced = result.to_ocpi()
    priced.pop("currency", None)
    return priced


def cdr_create_from_session(*, session) -> Cdr | None:
    """Create, store and POST the CDR of one of our completed sessions (idempotent: an existing CDR is returned)."""
    if session.source_partner_id is not None or session.status != "COMPLETED" or session.end_date_time is None:
        return None
    held = Cdr.objects.filter(
        country_code=session.country_code, party_id=session.party_id, cdr_id__iexact=session.session_id
    ).first()
    if held is not None:
        return held
    snapshot = SessionLocationSnapshot.objects.filter(session=session).first()
    if snapshot is not None:
        location = snapshot.cdr_location
    elif session.own_connector_id is not None:
        location = cdr_location_of(session.own_connector)
    else:
        logger.error("session %s has no connector: no CDR can say where it took place", session)
        return None
    data = {
        "country_code": session.country_code,
        "party_id": session.party_id,
        "id": session.session_id,
        "start_date_time": format_datetime(session.start_date_time),
        "end_date_time": format_datetime(session.end_date_time),
        "session_id": session.session_id,
        "cdr_token": session.cdr_token,
        "auth_method": session.auth_method,
        "authorization_reference": session.authorization_reference or None,
        "cdr_location": location,
        "meter_id": session.meter_id or None,
        "currency": session.currency,
        "tariffs": [session.tariff] if session.tariff else [],
        **_priced(session),
        "last_updated": format_datetime(timezone.now()),  # a CDR's last_updated is its creation time
    }
    with transaction.atomic():
        return cdr_create_own(data=validate_cdr(jsonable(data)))
