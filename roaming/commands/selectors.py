"""Reads of the commands module."""

import time

from django.db.models import QuerySet

from roaming.commands.choices import CommandRole, CommandType
from roaming.commands.models import Command
from roaming.core.exceptions import ObjectNotFound
from roaming.sessions.models import ChargingSession


def command_list() -> QuerySet[Command]:
    """Commands with what their list shows (partner, session), newest first."""
    return Command.objects.select_related("partner", "charging_session")


def command_get(*, uid) -> Command:
    command = command_list().filter(uid=uid).first()
    if command is None:
        raise ObjectNotFound(f"No command with id '{uid}'.")
    return command


def command_wait(*, uid, seconds: float, poll: float = 0.25) -> Command:
    """The command once its outcome is known (refused, not delivered, result, timeout), or after ``seconds``."""
    command = command_get(uid=uid)
    deadline = time.monotonic() + max(0.0, seconds)
    while not command.outcome_known and time.monotonic() < deadline:
        time.sleep(poll)
        command = command_get(uid=uid)
    return command


def command_session(*, command: Command) -> ChargingSession | None:
    """The session a command of our eMSP started: the CPO's Session carrying our authorization_reference (the
    spec: "this reference will be provided in the relevant Session"), or the one it stopped or reserved."""
    if command.charging_session_id:
        return command.charging_session
    if (
        command.role == CommandRole.EMSP
        and command.authorization_reference
        and command.type
        in (
            CommandType.START_SESSION,
            CommandType.RESERVE_NOW,
        )
    ):
        return (
            ChargingSession.objects.filter(
                source_partner_id=command.partner_id, authorization_reference=command.authorization_reference
            )
            .order_by("-pk")
            .first()
        )
    return None
