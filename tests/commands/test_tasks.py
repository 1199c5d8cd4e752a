"""The commands tasks: the timeout sweep on both sides, the hand-over to the CSMS with its retries, the simulator's
meter."""

import datetime as dt

import pytest
from django.utils import timezone

from roaming.commands import simulator
from roaming.commands.adapters import CsmsUnreachable
from roaming.commands.models import Command
from roaming.commands.services import cpo
from roaming.commands.tasks import command_expire_task
from roaming.ocpi.datetimes import parse_datetime
from roaming.sessions.models import ChargingSession
from tests.commands.conftest import reserve_body
from tests.commands.test_receiver import start_body


def test_the_sweep_times_out_overdue_commands_of_both_sides_only(post, emsp, our_charger, cpo_partner, settings):
    from roaming.commands.services import emsp as emsp_service

    settings.COMMANDS_SIMULATOR_OFFLINE_CHARGERS = ["CP-1"]
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    sent = emsp_service.command_send(
        command_type="UNLOCK_CONNECTOR", params={"location_id": "LOC-BE", "evse_uid": "BE-E1", "connector_id": "1"}
    )
    assert command_expire_task() == 0
    Command.objects.update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert command_expire_task() == 2
    assert sorted(Command.objects.values_list("role", "status", "result")) == [
        ("CPO", "TIMED_OUT", "TIMEOUT"),
        ("EMSP", "TIMED_OUT", "TIMEOUT"),
    ]
    assert command_expire_task() == 0  # once
    assert sent.pk


def test_a_csms_that_cannot_be_reached_is_retried_then_failed(post, emsp, our_charger, settings, monkeypatch):
    settings.COMMANDS_SIMULATOR_OFFLINE_CHARGERS = ["CP-1"]  # the hand-over below is ours to drive
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    command = Command.objects.get()

    class Down:
        def supports(self, command):
            return True

        def send(self, command):
            raise CsmsUnreachable("the CSMS webhook answered HTTP 502")

    monkeypatch.setattr("roaming.commands.services.cpo.csms_adapter", lambda: Down())
    with pytest.raises(CsmsUnreachable):
        cpo.command_dispatch(command_id=command.pk, last_attempt=False)
    command.refresh_from_db()
    assert command.status == "WAITING"
    assert (
        cpo.command_dispatch(command_id=command.pk, last_attempt=True) == "failed: the CSMS webhook answered HTTP 502"
    )
    command.refresh_from_db()
    assert (command.status, command.result) == ("DONE", "FAILED")


def test_the_simulated_meter_counts_energy_at_the_configured_power(post, emsp, our_charger, settings, monkeypatch):
    settings.COMMANDS_SIMULATOR_POWER_W = 7400
    _, token, stub = emsp
    post(token, "START_SESSION", start_body(stub))
    session = ChargingSession.objects.get()
    hour_ago = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    ChargingSession.objects.filter(pk=session.pk).update(start_date_time=hour_ago, status_changed_at=hour_ago)
    monkeypatch.setattr(simulator.timezone, "now", lambda: hour_ago + dt.timedelta(hours=1))
    assert simulator.meter_tick(transaction_id=session.csms_transaction_id) == "metered"
    session.refresh_from_db()
    assert session.meter_readings[-1][1] == 7400  # one hour at 7.4 kW from meter_start 0
    ChargingSession.objects.filter(pk=session.pk).update(status="COMPLETED")
    assert simulator.meter_tick(transaction_id=session.csms_transaction_id) == "stopped"


def test_an_unused_reservation_ends_at_its_expiry(post, emsp, our_charger, monkeypatch):
    _, token, stub = emsp
    body = reserve_body(stub, reservation_id="R-EXP", minutes=30)
    post(token, "RESERVE_NOW", body)
    expiry = parse_datetime(body["expiry_date"])
    command = Command.objects.get()
    assert simulator.reservation_expire(command_id=command.pk) == "not yet"
    monkeypatch.setattr(simulator.timezone, "now", lambda: expiry + dt.timedelta(seconds=1))
    assert simulator.reservation_expire(command_id=command.pk) == "expired"
    assert ChargingSession.objects.get().status == "INVALID"
    assert simulator.reservation_expire(command_id=command.pk) == "nothing to do"
