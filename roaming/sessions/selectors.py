"""Reads of charging sessions. A session renders from its own row, so every list costs a constant number of
queries (the Sender list one, plus the count)."""

from django.db.models import Q, QuerySet

from roaming.locations.models import Connector
from roaming.sessions.models import ChargingSession
from roaming.tariffs import pricing
from roaming.tariffs.models import Tariff
from roaming.tariffs.selectors import tariff_get, tariff_prices_at, tariff_pricing_model


def session_list(*, own: bool | None = None) -> QuerySet[ChargingSession]:
    queryset = ChargingSession.objects.all()
    if own is not None:
        queryset = queryset.filter(source_partner__isnull=own)
    return queryset


def session_list_for_emsp(*, parties) -> QuerySet[ChargingSession]:
    """Our own sessions of drivers of the given eMSP parties (``{(country_code, party_id)}``): the Sender list an
    eMSP sees holds its own drivers' sessions only (mod_sessions.asciidoc, Sender GET)."""
    match = Q(pk__in=[])
    for country_code, party_id in parties:
        match |= Q(emsp_country_code=country_code, emsp_party_id=party_id)
    # The bookkeeping a rendered Session never shows (readings, tariff snapshot) stays in the database.
    return session_list(own=True).filter(match).defer("meter_readings", "tariff", "announced_periods", "raw")


def session_get_received(*, country_code: str, party_id: str, session_id: str) -> ChargingSession | None:
    """A session a CPO partner sent us, by its (country_code, party_id, id) key (Receiver GET), or None."""
    return (
        session_list(own=False)
        .filter(country_code=country_code.upper(), party_id=party_id.upper(), session_id__iexact=session_id)
        .first()
    )


def session_tariff_held(*, session: ChargingSession) -> tuple[Tariff | None, str]:
    """For a session of our driver at a partner's charger: the tariff we hold for that connector (the first of the
    connector's ``tariff_ids`` the CPO sent us) and the location's time zone; ``(None, "UTC")`` without one."""
    connector = (
        Connector.objects.filter(
            evse__location__country_code=session.country_code,
            evse__location__party_id=session.party_id,
            evse__location__location_id__iexact=session.location_id,
            evse__uid__iexact=session.evse_uid,
            connector_id__iexact=session.connector_id,
        )
        .select_related("evse__location")
        .first()
    )
    for tariff_id in (connector.tariff_ids if connector else None) or []:
        tariff = tariff_get(
            country_code=session.country_code, party_id=session.party_id, tariff_id=str(tariff_id), own=False
        )
        if tariff is not None and tariff_prices_at(tariff, session.start_date_time):
            return tariff, connector.evse.location.time_zone or "UTC"
    return None, "UTC"


def session_estimate(*, session: ChargingSession) -> tuple[pricing.Price | None, str]:
    """Our own price of a received session: its charging periods priced by the tariff we hold for the connector
    (mod_tariffs.asciidoc, cost calculation), for ops to set beside the CPO's ``total_cost``. Returns the price (or
    None) and a line saying how it was obtained or why there is none."""
    tariff, time_zone = session_tariff_held(session=session)
    if tariff is None:
        return None, "no tariff held for this connector"
    if not session.charging_periods:
        return None, f"tariff {tariff.tariff_id}: no charging periods yet"
    end = session.end_date_time or session.last_updated
    try:
        timeline = pricing.Timeline.from_charging_periods(session.charging_periods, end=end, time_zone=time_zone)
        result = pricing.price_session(tariff_pricing_model(tariff=tariff), timeline)
    except (ValueError, ArithmeticError, pricing.TariffParseError) as exc:
        return None, f"tariff {tariff.tariff_id}: cannot price these periods ({exc})"
    return result.total_cost, f"tariff {tariff.tariff_id}"
