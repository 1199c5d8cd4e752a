"""Reads of charging sessions. A session renders from its own row, so every list costs a constant number of
queries (the Sender list one, plus the count)."""

from django.db.models import Q, QuerySet

from roaming.sessions.models import ChargingSession


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
