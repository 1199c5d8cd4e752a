"""Commands (mod_commands.asciidoc): one table for both sides.

* **our eMSP's commands** (``role`` EMSP): sent to a CPO partner for a driver (driver app backend through the internal
  API, or support staff in the admin); ``response_token`` is the unguessable last segment of the ``response_url`` we
  gave, so the CommandResult posted there is matched to its command;
* **commands our CPO received** (``role`` CPO) from an eMSP partner: handed to our CSMS through the adapter, the
  CommandResult posted to the eMSP's ``response_url`` through the outbox.

OCPI values carry OCPI's names (``result``, ``timeout``, ``message``); the timing columns are ours.
"""

import uuid

from django.conf import settings
from django.db import models

from roaming.commands.choices import (
    CommandResponseType,
    CommandResultType,
    CommandRole,
    CommandStatus,
    CommandType,
)
from roaming.core.models import TimeStampedModel
from roaming.ocpi.choices import TokenType


class Command(TimeStampedModel):
    """One command and its two answers: the synchronous CommandResponse and the asynchronous CommandResult."""

    uid = models.UUIDField("id", default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=4, choices=CommandRole.choices, db_index=True)
    type = models.CharField("command", max_length=18, choices=CommandType.choices, db_index=True)
    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL, on_delete=models.PROTECT, related_name="+", help_text="The CPO or eMSP partner"
    )
    status = models.CharField(max_length=13, choices=CommandStatus.choices, default=CommandStatus.SENDING)
    request = models.JSONField(help_text="The command object (StartSession, StopSession, ...) as sent or received")
    response_url = models.CharField(max_length=255, help_text="Where the CommandResult goes")
    response_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, help_text="Our eMSP's commands: last segment of the URL"
    )

    # --- what the command is about ----------------------------------------------------------------------------
    location_id = models.CharField(max_length=36, blank=True)
    evse_uid = models.CharField("EVSE uid", max_length=36, blank=True)
    connector_id = models.CharField(max_length=36, blank=True)
    session_id = models.CharField(max_length=36, blank=True, help_text="STOP_SESSION: the session to stop")
    reservation_id = models.CharField(max_length=36, blank=True, db_index=True)
    token_uid = models.CharField(max_length=36, blank=True, db_index=True)
    token_type = models.CharField(max_length=11, choices=TokenType.choices, blank=True)
    contract_id = models.CharField(max_length=36, blank=True)
    authorization_reference = models.CharField(max_length=36, blank=True)
    charging_session = models.ForeignKey(
        "charging_sessions.ChargingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commands",
        help_text="The session started, stopped or reserved",
    )

    # --- the CommandResponse ----------------------------------------------------------------------------------
    response_result = models.CharField(max_length=15, choices=CommandResponseType.choices, blank=True)
    response_timeout = models.PositiveIntegerField("timeout (s)", null=True, blank=True)
    response_message = models.JSONField(default=list, blank=True, help_text="DisplayText list")
    ocpi_status = models.PositiveIntegerField("OCPI status", null=True, blank=True)

    # --- the CommandResult ------------------------------------------------------------------------------------
    result = models.CharField(max_length=20, choices=CommandResultType.choices, blank=True, db_index=True)
    result_message = models.JSONField(default=list, blank=True, help_text="DisplayText list")
    late_result = models.BooleanField(default=False, help_text="The result arrived after the command timed out")

    # --- timing -----------------------------------------------------------------------------------------------
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Sent to the CPO / received from the eMSP")
    responded_at = models.DateTimeField(null=True, blank=True, help_text="CommandResponse answered")
    result_at = models.DateTimeField(null=True, blank=True, help_text="CommandResult received / from the CSMS")
    timed_out_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True, db_index=True, help_text="No result by then: TIMEOUT")
    error = models.CharField(max_length=512, blank=True, help_text="Why the command could not be delivered")
    requested_by = models.CharField(max_length=150, blank=True, help_text="The staff user or API client")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["role", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_role_display()}, {self.uid})"

    @property
    def outcome_known(self) -> bool:
        """A caller waiting for the command may stop: refused, not delivered, a result, or timed out."""
        return self.status != CommandStatus.SENDING and self.status != CommandStatus.WAITING
