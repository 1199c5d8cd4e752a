"""Fixtures' building blocks for the sessions tests: one of our chargers with a tariff, an eMSP partner whose token
is in our cache, and the spec's session examples (tests/data/ocpi-examples, copied unchanged, CC BY-ND 4.0)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from tests.data import OCPI_EXAMPLES
from tests.locations.factories import ConnectorFactory, EVSEFactory, LocationFactory
from tests.partners.factories import PartnerFactory
from tests.tariffs.factories import TariffFactory
from tests.tokens.factories import TokenFactory

T0 = datetime(2024, 5, 6, 7, 30, tzinfo=UTC)  # a Monday, 09:30 in Amsterdam

SESSION_EXAMPLES = sorted(p.name for p in OCPI_EXAMPLES.glob("session_example_*.json"))


def load_example(name: str) -> dict:
    """A spec example with numbers as Decimal, as our OCPI parser reads request bodies."""
    return json.loads((OCPI_EXAMPLES / name).read_text(), parse_float=Decimal)


def charger(*, internal_id="CP-1", tariff_elements=None, capabilities=(), tariff=True):
    """One of our chargers (EVSE with connector "1") at an Amsterdam location, its connector priced by a tariff of
    ours (€0.25/kWh + 10% VAT unless ``tariff_elements`` say otherwise)."""
    location = LocationFactory(location_id=f"LOC-{internal_id}")
    evse = EVSEFactory(location=location, uid=f"EVSE-{internal_id}", internal_id=internal_id)
    evse.capabilities = list(capabilities)
    evse.save()
    tariff_ids = []
    if tariff:
        kwargs = {"elements": tariff_elements} if tariff_elements is not None else {}
        tariff_ids = [TariffFactory(tariff_id=f"T-{internal_id}", **kwargs).tariff_id]
    return ConnectorFactory(evse=evse, connector_id="1", tariff_ids=tariff_ids)


def cached_token(*, uid="CARD1", country_code="DE", party_id="MSP", partner=None):
    """A token of eMSP partner DE/MSP in our CPO's token cache."""
    return TokenFactory(
        uid=uid,
        country_code=country_code,
        party_id=party_id,
        contract_id=f"{country_code}-{party_id}-C00000001",
        source_partner=partner or PartnerFactory(),
    )


def start_body(transaction_id="TX1", *, token="CARD1", charger_id="CP-1", at="2024-05-06T07:30:00Z", **extra):
    return {
        "transaction_id": transaction_id,
        "token_uid": token,
        "charger_id": charger_id,
        "connector_id": "1",
        "start_date_time": at,
        "meter_start": 1000,
        **extra,
    }
