"""A small, exactly known world for the dashboard's tests (unit and browser): two CPO partners and an eMSP,
CDRs over the last 30 days, pushes, pulls, our EVSEs and live sessions."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from roaming.locations.choices import Status
from roaming.ocpi.models import OutboxMessage, SyncRun, TrafficLog
from roaming.sessions.models import ChargingSession
from tests.cdrs.factories import received_cdr
from tests.locations.factories import EVSEFactory, LocationFactory, ReceivedLocationFactory
from tests.partners.factories import registered_partner_with_token


def cdr(partner, cdr_id, *, start, kwh, excl, currency="EUR", country_code="BE", party_id="BEC"):
    end = start + dt.timedelta(hours=1)
    stamp = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    return received_cdr(
        partner,
        cdr_id,
        country_code=country_code,
        party_id=party_id,
        currency=currency,
        start_date_time=stamp,
        end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        total_energy=float(kwh),
        total_cost={"excl_vat": float(excl), "incl_vat": float(excl * Decimal("1.21"))},
        charging_periods=[{"start_date_time": stamp, "dimensions": [{"type": "ENERGY", "volume": float(kwh)}]}],
    )


def session(partner, session_id, status):
    return ChargingSession.objects.create(
        country_code="BE" if partner else "NL",
        party_id="BEC" if partner else "EXA",
        session_id=session_id,
        source_partner=partner,
        start_date_time=timezone.now(),
        kwh=Decimal("1"),
        cdr_token={"uid": "CARD1", "type": "RFID", "contract_id": "NL-EXA-C1", "country_code": "NL", "party_id": "EXA"},
        auth_method="WHITELIST",
        location_id="LOC1",
        evse_uid="EVSE1",
        connector_id="1",
        currency="EUR",
        total_cost_excl_vat=Decimal("0"),
        total_cost_incl_vat=Decimal("0"),
        status=status,
        token_uid="CARD1",
        token_type="RFID",
        contract_id="NL-EXA-C1",
        emsp_country_code="NL",
        emsp_party_id="EXA",
        last_updated=timezone.now(),
    )


def dashboard_world(*, extra_partners: int = 0) -> dict:
    """Build the world; ``extra_partners`` more CPOs, each with the same rows as Beta (for query-count tests)."""
    now = timezone.now()
    today = timezone.localdate()
    midnight = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    # Today's CDRs start between midnight and now, whenever the test runs (at 00:01 as well as at 23:59).
    noon = midnight + (now - midnight) / 2
    earlier = (now - midnight) / 8
    alpha, _ = registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")
    alpha.name = "Alpha CPO"
    alpha.save(update_fields=["name"])
    beta, _ = registered_partner_with_token(country_code="NL", party_id="BET", role="CPO")
    beta.name = "Beta CPO"
    beta.last_error = "connection refused by beta.example:443"
    beta.last_failure_at = now - dt.timedelta(hours=1)
    beta.save(update_fields=["name", "last_error", "last_failure_at"])

    cdr(alpha, "A1", start=noon - 2 * earlier, kwh=Decimal("10.000"), excl=Decimal("4.00"))
    cdr(alpha, "A2", start=noon - earlier, kwh=Decimal("5.500"), excl=Decimal("2.25"))
    cdr(alpha, "A3", start=noon - dt.timedelta(days=1), kwh=Decimal("7.000"), excl=Decimal("3.00"))
    cdr(alpha, "OLD", start=noon - dt.timedelta(days=40), kwh=Decimal("99"), excl=Decimal("99"))  # outside 30 days

    delivered_at = now - dt.timedelta(minutes=30)
    pulled_at = now - dt.timedelta(minutes=10)
    partners = [beta]
    for index in range(extra_partners):
        extra, _ = registered_partner_with_token(country_code="NL", party_id=f"X{index:02d}", role="CPO")
        partners.append(extra)
    for number, partner in enumerate(partners):
        party = "BET" if partner is beta else partner.roles.get().party_id
        cdr(
            partner,
            f"B{number}",
            start=noon - 3 * earlier,
            kwh=Decimal("20.000"),
            excl=Decimal("8.00"),
            currency="GBP",
            country_code="NL",
            party_id=party,
        )
        SyncRun.objects.create(partner=partner, module="locations", status=SyncRun.Status.FAILED)
        OutboxMessage.objects.create(
            partner=partner, module="locations", object_key="NL/EXA/L9", method="PUT", path="x"
        )

    outbox = {"module": "locations", "method": "PUT", "path": "NL/EXA/L1", "object_key": "NL/EXA/L1"}
    OutboxMessage.objects.create(partner=alpha, **outbox)
    OutboxMessage.objects.create(partner=alpha, **outbox)
    OutboxMessage.objects.create(partner=alpha, status=OutboxMessage.Status.FAILED, **outbox)
    OutboxMessage.objects.create(
        partner=alpha, status=OutboxMessage.Status.DELIVERED, delivered_at=delivered_at, **outbox
    )
    SyncRun.objects.create(partner=alpha, module="tariffs", status=SyncRun.Status.SUCCEEDED, finished_at=pulled_at)
    call = {"direction": "OUT", "partner": alpha, "module": "locations", "method": "PUT", "url": "http://a/x"}
    for http_status, ocpi_status in ((200, 1000), (200, 1000), (200, 1000), (503, None)):
        TrafficLog.objects.create(http_status=http_status, ocpi_status=ocpi_status, **call)
    old = TrafficLog.objects.create(http_status=None, **call)
    TrafficLog.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(hours=30))  # outside 24 h
    TrafficLog.objects.create(
        direction="OUT", partner=alpha, module="credentials", method="POST", url="http://a/c", http_status=500
    )

    ours = LocationFactory()
    for status in (Status.AVAILABLE, Status.AVAILABLE, Status.AVAILABLE, Status.OUTOFORDER, Status.REMOVED):
        EVSEFactory(location=ours, status=status)
    EVSEFactory(location=ReceivedLocationFactory(source_partner=alpha), status=Status.CHARGING)

    session(None, "S-OWN-1", "ACTIVE")
    session(alpha, "S-IN-1", "ACTIVE")
    session(alpha, "S-IN-2", "ACTIVE")
    session(alpha, "S-IN-3", "COMPLETED")
    return {"alpha": alpha, "beta": beta, "delivered_at": delivered_at, "pulled_at": pulled_at, "today": today}
