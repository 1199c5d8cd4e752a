"""Reads of Tariffs and of the connectors that use them (mod_tariffs.asciidoc; Connector.tariff_ids in
mod_locations.asciidoc), plus the pricing engine's view of a stored tariff for the admin.

Tariff ids are CiStrings (types.asciidoc): looked up case-insensitively; ``country_code``/``party_id`` are stored
upper-case and looked up upper-cased. A tariff renders from its own row (no relations), so a list costs one query.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper

from roaming.locations.models import Connector
from roaming.ocpi.kit.selectors import by_party, object_get
from roaming.tariffs import pricing
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import tariff_to_ocpi


def tariff_list(
    *, own: bool | None = None, country_code: str | None = None, party_id: str | None = None
) -> QuerySet[Tariff]:
    """Tariffs for the Sender GET list, pushes and the admin. ``own=True``: our CPO's tariffs (no source partner);
    ``own=False``: what partners sent us; ``None``: both. The pagination orders by pk."""
    return by_party(Tariff.objects.all(), own=own, country_code=country_code, party_id=party_id)


def tariff_get(*, country_code: str, party_id: str, tariff_id: str, own: bool | None = None) -> Tariff | None:
    """One tariff by its (country_code, party_id, id) key (mod_tariffs.asciidoc, Receiver GET), or None."""
    queryset = tariff_list(own=own, country_code=country_code, party_id=party_id)
    return object_get(queryset, id_field="tariff_id", object_id=tariff_id)


def tariff_prices_at(tariff: Tariff, moment: dt.datetime | None) -> bool:
    """Whether ``tariff`` may price a session or CDR that started at ``moment``: a tariff retired by a complete
    pull (``retired_at``, the CPO no longer lists it) prices only what started before its retirement."""
    return tariff.retired_at is None or (moment is not None and moment < tariff.retired_at)


def tariff_received(*, country_code: str, party_id: str, tariff_id: str) -> Tariff | None:
    """A Tariff a partner sent us (Receiver GET), or None."""
    return tariff_get(country_code=country_code, party_id=party_id, tariff_id=tariff_id, own=False)


def _references(connector: Connector, tariff_id: str) -> bool:
    wanted = tariff_id.upper()
    return any(str(item).upper() == wanted for item in connector.tariff_ids or [])


def _candidates(tariff: Tariff) -> QuerySet[Connector]:
    # icontains on the JSON text narrows the scan in SQL; the exact, case-insensitive match is done in Python.
    return Connector.objects.filter(
        tariff_ids__icontains=tariff.tariff_id,
        evse__location__country_code=tariff.country_code,
        evse__location__party_id=tariff.party_id,
    ).order_by("pk")


def tariff_connectors(*, tariff: Tariff) -> list[Connector]:
    """The connectors whose ``tariff_ids`` reference ``tariff``: our own connectors for an own tariff, the owning
    CPO's (as received) for a partner's tariff; with EVSE and Location loaded."""
    return [c for c in _candidates(tariff).select_related("evse__location") if _references(c, tariff.tariff_id)]


def tariff_usage(*, tariff: Tariff) -> tuple[int, int]:
    """How many connectors, at how many locations, reference ``tariff`` (reads two columns, not whole rows)."""
    wanted = tariff.tariff_id.upper()
    connectors, locations = 0, set()
    for tariff_ids, location_id in _candidates(tariff).values_list("tariff_ids", "evse__location_id"):
        if any(str(item).upper() == wanted for item in tariff_ids or []):
            connectors += 1
            locations.add(location_id)
    return connectors, len(locations)


def _window(tariff: Tariff) -> tuple[dt.datetime, dt.datetime]:
    return (tariff.start_date_time or dt.datetime.min.replace(tzinfo=dt.UTC)), (
        tariff.end_date_time or dt.datetime.max.replace(tzinfo=dt.UTC)
    )


def tariff_assignment_conflicts(tariff: Tariff, connectors: list[Connector]) -> list[str]:
    """Why ``tariff`` may not join these connectors' ``tariff_ids``: at most one tariff per Tariff.type may be
    active at any time (mod_locations.asciidoc, Connector object); tariffs with no type are one more group. Returns
    a message per conflicting tariff (the ``conflicts`` rule of ``connector_tariffs_assign``)."""
    other_ids = {str(i).upper() for row in connectors for i in row.tariff_ids or []} - {tariff.tariff_id.upper()}
    if not other_ids:
        return []
    start, end = _window(tariff)
    others = (
        Tariff.objects.filter(source_partner__isnull=True, type=tariff.type)
        .annotate(upper_id=Upper("tariff_id"))
        .filter(upper_id__in=other_ids)
    )
    messages = []
    for other in others:
        other_start, other_end = _window(other)
        if other_start < end and start < other_end:
            count = sum(1 for row in connectors if _references(row, other.upper_id))
            messages.append(
                f"{count} connector(s) already use tariff {other.tariff_id} of the same type "
                f"({other.type or 'no type'}) with an overlapping validity period"
            )
    return messages


def connectors_for_assignment(
    *,
    location_ids: list[int] | None = None,
    evse_id_prefix: str = "",
    power_type: str = "",
    search: str = "",
) -> QuerySet[Connector]:
    """Our own connectors (locations without a source partner) matching every filter given, for bulk tariff
    assignment in the admin. ``location_ids`` are primary keys; ``search`` matches location id/name/city/address and
    EVSE uid/evse_id."""
    queryset = Connector.objects.filter(evse__location__source_partner__isnull=True)
    if location_ids:
        queryset = queryset.filter(evse__location_id__in=location_ids)
    if evse_id_prefix:
        # EVSE ids are written with or without '*' separators (mod_locations.asciidoc, EVSE evse_id).
        # Compare without separators on both sides: "NL*EXA*E1" and "NLEXAE1" name the same EVSE.
        queryset = queryset.annotate(compact_evse_id=Replace(F("evse__evse_id"), Value("*"), Value(""))).filter(
            compact_evse_id__istartswith=evse_id_prefix.replace("*", "")
        )
    if power_type:
        queryset = queryset.filter(power_type=power_type)
    if search:
        queryset = queryset.filter(
            Q(evse__location__location_id__icontains=search)
            | Q(evse__location__name__icontains=search)
            | Q(evse__location__city__icontains=search)
            | Q(evse__location__address__icontains=search)
            | Q(evse__uid__icontains=search)
            | Q(evse__evse_id__icontains=search)
        )
    return queryset.select_related("evse__location").order_by("pk")


def tariff_default_time_zone(*, tariff: Tariff) -> str:
    """The time zone restrictions are read in (mod_tariffs.asciidoc, TariffRestrictions: Location.time_zone): that
    of the first location using the tariff, else UTC."""
    for connector in tariff_connectors(tariff=tariff)[:1]:
        return connector.evse.location.time_zone or "UTC"
    return "UTC"


# --- the pricing engine's view ----------------------------------------------------------------------------------


def tariff_pricing_model(*, tariff: Tariff) -> pricing.Tariff:
    """The stored tariff as the pricing engine's immutable model (raises ``pricing.TariffParseError``)."""
    return pricing.parse_tariff(tariff_to_ocpi(tariff))


def tariff_description(*, tariff: Tariff) -> str:
    """The tariff in words, e.g. ``€0.25/kWh, 17:00-20:00 €0.35/kWh`` (``pricing.describe_tariff``)."""
    try:
        return pricing.describe_tariff(tariff_pricing_model(tariff=tariff))
    except (pricing.TariffParseError, ValueError, ArithmeticError) as exc:
        return f"(cannot be described: {exc})"


def tariff_quote(
    *,
    tariff: Tariff,
    start: dt.datetime,
    time_zone: str,
    duration: dt.timedelta,
    energy_kwh: Decimal,
    max_power_kw: Decimal | None = None,
    parking: dt.timedelta | None = None,
) -> pricing.PricingResult:
    """What a session would cost (the admin price calculator; mod_tariffs.asciidoc pricing via the engine).

    The vehicle is plugged in at ``start`` (aware) for ``duration`` and takes ``energy_kwh``. Without
    ``max_power_kw`` it charges evenly over the whole duration; with it, it charges at that power until the energy is
    in and stays plugged in, not requesting power (PARKING_TIME), for the rest of the duration. ``parking`` is extra
    plugged-in time after that. Raises ``ValueError`` when the energy cannot be delivered in time.
    """
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{time_zone}'") from exc
    extra = parking or dt.timedelta(0)
    model = tariff_pricing_model(tariff=tariff)
    if max_power_kw and energy_kwh > 0:
        charging = dt.timedelta(seconds=float(energy_kwh / max_power_kw * 3600))
        if charging > duration + dt.timedelta(seconds=1):
            needed = int(charging.total_seconds() // 60) + 1
            raise ValueError(
                f"{energy_kwh} kWh at {max_power_kw} kW takes {needed} minutes, longer than the plugged-in duration"
            )
        timeline = pricing.Timeline.constant_charge(
            start,
            energy_kwh=energy_kwh,
            power_kw=max_power_kw,
            parking=max(duration - charging, dt.timedelta(0)) + extra,
            time_zone=time_zone,
        )
    elif energy_kwh > 0:
        timeline = pricing.Timeline.constant_charge(
            start, energy_kwh=energy_kwh, duration=duration, parking=extra, time_zone=time_zone
        )
    else:
        # No energy: the whole duration counts as charging time (TIME), e.g. to try a TIME-only tariff.
        timeline = pricing.Timeline.constant_charge(start, duration=duration, parking=extra, time_zone=time_zone)
    return pricing.price_session(model, timeline)
