"""Celery tasks of the commands module: thin, they call a service."""

from celery import shared_task

from roaming.commands.adapters import CsmsUnreachable
from roaming.commands.services import cpo, emsp

DISPATCH_RETRIES = 3


@shared_task(name="commands.dispatch", bind=True, max_retries=DISPATCH_RETRIES, ignore_result=True)
def command_dispatch_task(self, command_id: int) -> str:
    """Hand a command our CPO accepted to the CSMS; retried with backoff, then FAILED to the eMSP."""
    last = self.request.retries >= DISPATCH_RETRIES or self.app.conf.task_always_eager
    try:
        return cpo.command_dispatch(command_id=command_id, last_attempt=last)
    except CsmsUnreachable as exc:
        raise self.retry(countdown=2 ** (self.request.retries + 1)) from exc


@shared_task(name="commands.expire", ignore_result=True)
def command_expire_task(command_id: int | None = None) -> int:
    """TIMEOUT for commands past their deadline, on both sides: one command (scheduled when it was accepted), or
    every overdue one (beat, every minute, covering lost tasks)."""
    return cpo.commands_expire_cpo(command_id=command_id) + emsp.commands_expire_emsp(command_id=command_id)


@shared_task(name="commands.simulate", ignore_result=True)
def command_simulate_task(command_id: int) -> str:
    """The simulator adapter playing the charger for one command."""
    from roaming.commands.simulator import simulate

    return simulate(command_id=command_id)


@shared_task(name="commands.simulate_meter", ignore_result=True)
def command_simulate_meter_task(transaction_id: str) -> str:
    """The simulator's meter: one reading of a session it started, then the next one scheduled."""
    from roaming.commands.simulator import meter_tick

    return meter_tick(transaction_id=transaction_id)


@shared_task(name="commands.simulate_expiry", ignore_result=True)
def command_simulate_expiry_task(command_id: int) -> str:
    """The simulator's charger ending a reservation nobody used by its expiry date."""
    from roaming.commands.simulator import reservation_expire

    return reservation_expire(command_id=command_id)
