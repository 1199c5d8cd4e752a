"""OCPI enumerations of the commands module (mod_commands.asciidoc, "Data types") and our own bookkeeping states."""

from django.db import models


class CommandType(models.TextChoices):
    """mod_commands.asciidoc, CommandType enum."""

    CANCEL_RESERVATION = "CANCEL_RESERVATION", "Cancel a reservation"
    RESERVE_NOW = "RESERVE_NOW", "Reserve now"
    START_SESSION = "START_SESSION", "Start a session"
    STOP_SESSION = "STOP_SESSION", "Stop a session"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR", "Unlock a connector"


class CommandResponseType(models.TextChoices):
    """mod_commands.asciidoc, CommandResponseType enum: the CPO's synchronous answer."""

    ACCEPTED = "ACCEPTED", "Accepted by the CPO"
    NOT_SUPPORTED = "NOT_SUPPORTED", "Not supported"
    REJECTED = "REJECTED", "Rejected by the CPO"
    UNKNOWN_SESSION = "UNKNOWN_SESSION", "Unknown session"


class CommandResultType(models.TextChoices):
    """mod_commands.asciidoc, CommandResultType enum: what the charger did, posted later."""

    ACCEPTED = "ACCEPTED", "Accepted by the charger"
    CANCELED_RESERVATION = "CANCELED_RESERVATION", "Reservation canceled by the CPO"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE", "EVSE inoperative or faulted"
    EVSE_OCCUPIED = "EVSE_OCCUPIED", "EVSE occupied"
    FAILED = "FAILED", "Failed at the charger"
    NOT_SUPPORTED = "NOT_SUPPORTED", "Not supported by the charger"
    REJECTED = "REJECTED", "Rejected by the charger"
    TIMEOUT = "TIMEOUT", "No answer in time"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION", "Unknown reservation"


class CommandRole(models.TextChoices):
    """Which of our sides handled the command."""

    EMSP = "EMSP", "Sent by our eMSP"
    CPO = "CPO", "Received by our CPO"


class CommandStatus(models.TextChoices):
    """Where a command stands (our bookkeeping, for filters and the internal API)."""

    SENDING = "SENDING", "Sending"
    NOT_DELIVERED = "NOT_DELIVERED", "Not delivered (the CPO could not be reached)"
    REFUSED = "REFUSED", "Refused by the CPO"
    WAITING = "WAITING", "Waiting for the charger"
    DONE = "DONE", "Result received"
    TIMED_OUT = "TIMED_OUT", "Timed out"


#: states after which only a late result may still change a command
FINAL_STATUSES = frozenset({CommandStatus.NOT_DELIVERED, CommandStatus.REFUSED, CommandStatus.DONE})
