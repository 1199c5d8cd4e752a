"""factory-boy factories for Locations, EVSEs and Connectors: our own (CPO side) and received (eMSP side)."""

from datetime import UTC, datetime

import factory
from django.conf import settings

from roaming.locations.choices import ConnectorFormat, ConnectorType, PowerType, Status
from roaming.locations.models import EVSE, Connector, Location
from tests.partners.factories import PartnerFactory

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


class LocationFactory(factory.django.DjangoModelFactory):
    """One of our own Locations (source_partner empty, our country_code/party_id)."""

    class Meta:
        model = Location

    country_code = factory.LazyFunction(lambda: settings.OCPI_COUNTRY_CODE)
    party_id = factory.LazyFunction(lambda: settings.OCPI_PARTY_ID)
    location_id = factory.Sequence(lambda n: f"LOC{n}")
    publish = True
    name = factory.Sequence(lambda n: f"Site {n}")
    address = "Stationsplein 1"
    city = "Utrecht"
    postal_code = "3511 ED"
    country = "NLD"
    latitude = "52.089444"
    longitude = "5.110278"
    time_zone = "Europe/Amsterdam"
    last_updated = T0


class ReceivedLocationFactory(LocationFactory):
    """A Location a CPO partner (BE/BEC by default) sent us."""

    country_code = "BE"
    party_id = "BEC"
    source_partner = factory.SubFactory(PartnerFactory)
    received_at = T0
    raw = factory.LazyAttribute(lambda o: {"id": o.location_id})


class EVSEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EVSE

    location = factory.SubFactory(LocationFactory)
    uid = factory.Sequence(lambda n: f"EVSE{n}")
    evse_id = factory.LazyAttribute(lambda o: f"{o.location.country_code}*{o.location.party_id}*E{o.uid}")
    status = Status.AVAILABLE
    last_updated = factory.LazyAttribute(lambda o: o.location.last_updated)


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    evse = factory.SubFactory(EVSEFactory)
    connector_id = factory.Sequence(lambda n: str(n % 9 + 1))
    standard = ConnectorType.IEC_62196_T2
    format = ConnectorFormat.SOCKET
    power_type = PowerType.AC_3_PHASE
    max_voltage = 230
    max_amperage = 32
    last_updated = factory.LazyAttribute(lambda o: o.evse.last_updated)


def location_with_evses(*, evses: int = 2, connectors: int = 2, factory_class=LocationFactory, **kwargs) -> Location:
    """A Location with ``evses`` EVSEs of ``connectors`` Connectors each (ids 1..n per EVSE)."""
    location = factory_class(**kwargs)
    for e in range(evses):
        evse = EVSEFactory(location=location, uid=f"{location.location_id}-E{e + 1}")
        for c in range(connectors):
            ConnectorFactory(evse=evse, connector_id=str(c + 1))
    return location


def bulk_locations(*, count: int, evses: int, connectors: int) -> None:
    """Many own Locations, inserted with bulk_create (for query-count and speed tests)."""
    locations = Location.objects.bulk_create(
        LocationFactory.build(location_id=f"BULK{i:05d}", last_updated=T0) for i in range(count)
    )
    evse_rows = EVSE.objects.bulk_create(
        EVSE(location=location, uid=f"{location.location_id}-E{e}", status=Status.AVAILABLE, last_updated=T0)
        for location in locations
        for e in range(evses)
    )
    Connector.objects.bulk_create(
        Connector(
            evse=evse,
            connector_id=str(c + 1),
            standard=ConnectorType.IEC_62196_T2,
            format=ConnectorFormat.SOCKET,
            power_type=PowerType.AC_3_PHASE,
            max_voltage=230,
            max_amperage=16,
            last_updated=T0,
        )
        for evse in evse_rows
        for c in range(connectors)
    )
