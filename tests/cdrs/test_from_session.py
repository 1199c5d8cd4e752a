"""Our CPO's CDR when a session completes (mod_cdrs.asciidoc, CDR object): the location as at session start, the
tariff as it applied, periods and totals from the pricing engine, a CDR for a zero-energy session too, POSTed to
the eMSP owning the token; one CDR per session."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models.signals import post_save

from roaming.cdrs import signals
from roaming.cdrs.choices import Direction
from roaming.cdrs.models import Cdr
from roaming.cdrs.ocpi.render import cdr_to_ocpi
from roaming.cdrs.services import cdr_price_check
from roaming.locations.models import Location
from roaming.sessions.models import ChargingSession
from tests.sessions.conftest import csms  # noqa: F401  (the CSMS API client fixture)
from tests.sessions.factories import cached_token, charger, start_body

pytestmark = pytest.mark.django_db

STOP = {"end_date_time": "2024-05-06T09:00:00Z", "meter_stop": 13000}


@pytest.fixture
def site(db):
    cached_token()
    connector = charger()
    location = connector.evse.location
    location.address = "A street whose name is longer than forty-five characters 12"
    location.save()
    return connector


def run_session(csms, *, meter_stop=13000):  # noqa: F811
    assert csms("post", "sessions", start_body()).status_code == 201
    csms("post", "sessions/TX1/meter_values", {"timestamp": "2024-05-06T08:30:00Z", "energy_wh": 12000})
    assert csms("post", "sessions/TX1/stop", {**STOP, "meter_stop": meter_stop}).status_code == 200
    return ChargingSession.objects.get()


def test_completed_session_gets_its_cdr_priced_by_the_engine(csms, site):  # noqa: F811
    session = run_session(csms)
    cdr = Cdr.objects.get()
    assert (cdr.direction, cdr.cdr_id, cdr.session_id) == (Direction.SENT, session.session_id, session.session_id)
    assert cdr.cdr_token == session.cdr_token and cdr.token_party_id == "MSP"
    assert cdr.total_energy == Decimal("12") and cdr.total_time == Decimal("1.5")
    assert (cdr.total_cost_excl_vat, cdr.total_cost_incl_vat) == (Decimal("3.00"), Decimal("3.30"))
    assert cdr.total_cost_excl_vat == session.total_cost_excl_vat
    assert cdr.tariffs == [session.tariff]
    assert cdr.cdr_location["address"] == "A street whose name is longer than forty-five"[:45]
    assert len(cdr.cdr_location["address"]) == 45
    # The eMSP's re-pricing from what the CDR carries finds the same figures.
    assert cdr_price_check(cdr=cdr_to_ocpi(cdr)).difference == Decimal("0")


def test_the_location_is_taken_as_it_was_at_session_start(csms, site):  # noqa: F811
    csms("post", "sessions", start_body())
    Location.objects.filter(pk=site.evse.location_id).update(name="Renamed mid-session")
    csms("post", "sessions/TX1/stop", STOP)
    assert Cdr.objects.get().cdr_location["name"] != "Renamed mid-session"


def test_zero_energy_session_still_gets_a_cdr(csms, site):  # noqa: F811
    csms("post", "sessions", start_body())
    csms("post", "sessions/TX1/stop", {**STOP, "meter_stop": 1000})
    cdr = Cdr.objects.get()
    assert cdr.total_energy == 0
    assert cdr.total_cost_excl_vat == Decimal("0")
    assert cdr.charging_periods


def test_one_cdr_per_session(csms, site):  # noqa: F811
    session = run_session(csms)
    session.save()  # a later write of the completed session
    call_command("create_missing_cdrs")
    assert Cdr.objects.count() == 1


def test_a_session_that_completed_without_its_cdr_is_repaired(csms, site):  # noqa: F811
    post_save.disconnect(dispatch_uid="cdrs-on-session", sender="charging_sessions.ChargingSession")
    try:
        run_session(csms)
    finally:
        signals.connect()
    assert not Cdr.objects.exists()
    out = io.StringIO()
    call_command("create_missing_cdrs", stdout=out)
    assert out.getvalue().strip() == "1 CDR(s) created"
    assert Cdr.objects.get().total_cost_excl_vat == Decimal("3.00")
