"""Factories and payload builders of the tariffs module tests: our own and received Tariffs, minimal own locations
with connectors, and the spec's example files (tests/data/ocpi-examples, copied unchanged, CC BY-ND 4.0)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import factory
from django.conf import settings

from roaming.locations.choices import ConnectorFormat, ConnectorType, PowerType, Status
from roaming.locations.models import EVSE, Connector, Location
from roaming.tariffs.models import Tariff
from tests.data import OCPI_EXAMPLES
from tests.partners.factories import PartnerFactory

EXAMPLES = OCPI_EXAMPLES
T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)

SPEC_TARIFF_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("tariff*.json"))


def load_example(name: str) -> dict:
    """A spec example file with numbers as Decimal, as our OCPI parser reads request bodies."""
    return json.loads((EXAMPLES / name).read_text(), parse_float=Decimal)


def fixed_put_example() -> dict:
    """``tariff_put_example.json`` lacks the required ``last_updated`` (a known defect of the example); our
    corrected copy adds one, leaving the original file untouched."""
    return {**load_example("tariff_put_example.json"), "last_updated": "2015-06-29T20:39:09Z"}


def energy_element(price="0.25", vat="10.0", step_size=1, **restrictions) -> dict:
    element = {
        "price_components": [{"type": "ENERGY", "price": Decimal(price), "vat": Decimal(vat), "step_size": step_size}]
    }
    if restrictions:
        element["restrictions"] = restrictions
    return element


def tariff_payload(*, country_code="DE", party_id="CPO", tariff_id="T1", last_updated="2024-01-01T12:00:00Z", **extra):
    """A valid Tariff body: €0.25/kWh excl. VAT, 10% VAT."""
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": tariff_id,
        "currency": "EUR",
        "elements": [energy_element()],
        "last_updated": last_updated,
        **extra,
    }


ENERGY_025 = [{"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "10.0", "step_size": 1}]}]


class TariffFactory(factory.django.DjangoModelFactory):
    """One of our own tariffs (no source partner): €0.25/kWh, 10% VAT."""

    class Meta:
        model = Tariff

    country_code = factory.LazyFunction(lambda: settings.OCPI_COUNTRY_CODE)
    party_id = factory.LazyFunction(lambda: settings.OCPI_PARTY_ID)
    tariff_id = factory.Sequence(lambda n: f"TARIFF{n}")
    currency = "EUR"
    elements = factory.LazyFunction(lambda: json.loads(json.dumps(ENERGY_025)))
    last_updated = T0


class ReceivedTariffFactory(TariffFactory):
    """A tariff a CPO partner (DE/CPO by default) sent us."""

    country_code = "DE"
    party_id = "CPO"
    source_partner = factory.SubFactory(PartnerFactory)
    received_at = T0
    raw = factory.LazyAttribute(lambda o: {"id": o.tariff_id})


class LocationFactory(factory.django.DjangoModelFactory):
    """One of our own locations (source_partner empty, our country_code/party_id)."""

    class Meta:
        model = Location

    country_code = factory.LazyFunction(lambda: settings.OCPI_COUNTRY_CODE)
    party_id = factory.LazyFunction(lambda: settings.OCPI_PARTY_ID)
    location_id = factory.Sequence(lambda n: f"LOC{n}")
    publish = True
    name = factory.Sequence(lambda n: f"Site {n}")
    address = "Stationsplein 1"
    city = "Utrecht"
    country = "NLD"
    latitude = "52.089444"
    longitude = "5.110278"
    time_zone = "Europe/Amsterdam"
    last_updated = T0


class EVSEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EVSE

    location = factory.SubFactory(LocationFactory)
    uid = factory.Sequence(lambda n: f"EVSE{n}")
    evse_id = factory.LazyAttribute(lambda o: f"{o.location.country_code}*{o.location.party_id}*E{o.uid}")
    status = Status.AVAILABLE
    last_updated = T0


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    evse = factory.SubFactory(EVSEFactory)
    connector_id = "1"
    standard = ConnectorType.IEC_62196_T2
    format = ConnectorFormat.SOCKET
    power_type = PowerType.AC_3_PHASE
    max_voltage = 230
    max_amperage = 32
    last_updated = T0


def site(*, evses=2, connectors=1, power_type=PowerType.AC_3_PHASE, **location_kwargs) -> Location:
    """A location with ``evses`` EVSEs of ``connectors`` connectors each."""
    location = LocationFactory(**location_kwargs)
    for e in range(evses):
        evse = EVSEFactory(location=location, uid=f"{location.location_id}-E{e + 1}")
        for c in range(connectors):
            ConnectorFactory(evse=evse, connector_id=str(c + 1), power_type=power_type)
    return location
