"""Factories, CSV builders and fixtures of the charger import / CSMS API / admin tests.

Kept apart from ``factories.py`` (owned by the OCPI module tests) so the two sets can change independently.
"""

import csv
import io
from pathlib import Path

import factory
import pytest
from django.conf import settings
from django.utils import timezone

from roaming.locations.choices import ConnectorFormat, ConnectorType, PowerType, Status
from roaming.locations.models import EVSE, Connector, Location

DATA = Path(__file__).parent / "data"

HEADER = [
    "internal_id",
    "evse_id",
    "location_id",
    "location_name",
    "address",
    "city",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "connector_id",
    "standard",
    "format",
    "power_type",
    "max_voltage",
    "max_amperage",
]


def charger_row(n: int = 1, connector: int = 1, **overrides) -> dict:
    """One valid CSV row (connector ``connector`` of charger ``n``, at location LOC-1)."""
    row = {
        "internal_id": f"CP-{n:04d}",
        "evse_id": f"NL*EXA*E{n:04d}",
        "location_id": "LOC-1",
        "location_name": "Station One",
        "address": "Main Street 1",
        "city": "Amsterdam",
        "postal_code": "1011 AA",
        "country": "NL",
        "latitude": "52.37403",
        "longitude": "4.88969",
        "connector_id": str(connector),
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": "230",
        "max_amperage": "32",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def make_csv(rows: list[dict], header: list[str] | None = None, delimiter: str = ",") -> bytes:
    """CSV bytes with ``header`` (default: the required columns plus any extra keys the rows use)."""
    columns = list(header or HEADER)
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


class OwnLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    country_code = factory.LazyFunction(lambda: settings.OCPI_COUNTRY_CODE)
    party_id = factory.LazyFunction(lambda: settings.OCPI_PARTY_ID)
    location_id = factory.Sequence(lambda n: f"LOC-F{n}")
    name = "Factory location"
    address = "Factory Street 1"
    city = "Utrecht"
    postal_code = "3511 AA"
    country = "NLD"
    latitude = "52.09070"
    longitude = "5.12140"
    time_zone = "Europe/Amsterdam"
    last_updated = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) - timezone.timedelta(days=1))


class PartnerLocationFactory(OwnLocationFactory):
    """A location a CPO partner pushed to us (eMSP side)."""

    country_code = "DE"
    party_id = "CPO"
    source_partner = factory.LazyFunction(lambda: _partner())
    received_at = factory.LazyFunction(timezone.now)


def _partner():
    from tests.partners.factories import PartnerFactory

    return PartnerFactory()


class OwnEVSEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EVSE

    location = factory.SubFactory(OwnLocationFactory)
    uid = factory.Sequence(lambda n: f"UID-{n}")
    evse_id = factory.Sequence(lambda n: f"NL*EXA*EF{n}")
    internal_id = factory.Sequence(lambda n: f"CSMS-{n}")
    status = Status.AVAILABLE
    last_updated = factory.LazyAttribute(lambda o: o.location.last_updated)


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    evse = factory.SubFactory(OwnEVSEFactory)
    connector_id = "1"
    standard = ConnectorType.IEC_62196_T2
    format = ConnectorFormat.SOCKET
    power_type = PowerType.AC_3_PHASE
    max_voltage = 230
    max_amperage = 32
    tariff_ids = factory.LazyFunction(list)
    last_updated = factory.LazyAttribute(lambda o: o.evse.last_updated)


@pytest.fixture
def receiving_partner(db):
    """A registered eMSP that published a locations RECEIVER: every push to our locations reaches its outbox."""
    from tests.partners.factories import registered_partner_with_token

    partner, _token = registered_partner_with_token(
        country_code="DE",
        party_id="MSP",
        endpoints=[("locations", "RECEIVER", "http://msp.invalid/ocpi/emsp/2.2.1/locations")],
    )
    return partner


@pytest.fixture
def push_spy(monkeypatch):
    """Record every location pushed by ``locations_push_own`` (which ``location_push_own`` also goes through), as
    location ids in order, and still run the real service."""
    from roaming.locations.models import Location
    from roaming.locations.services import own

    calls: list[str] = []
    real = own.locations_push_own

    def spy(locations, **kwargs):
        pks = [getattr(item, "pk", item) for item in locations]
        names = dict(Location.objects.filter(pk__in=pks).values_list("pk", "location_id"))
        calls.extend(names[pk] for pk in pks)
        return real(locations, **kwargs)

    monkeypatch.setattr(own, "locations_push_own", spy)
    return calls
