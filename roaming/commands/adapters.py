"""How commands our CPO receives reach our CSMS (mod_commands.asciidoc, "Flow": the CPO forwards the command to the
Charge Point "via another protocol, for example OCPP").

The back office does not talk OCPP itself: ``settings.COMMANDS_CSMS_ADAPTER`` names a class implementing
``CsmsAdapter`` (the sessions module's ``SESSIONS_CSMS_ADAPTER`` follows the same pattern). Two come with it:

* ``WebhookCsmsAdapter`` (the default): POSTs the command as JSON to ``COMMANDS_CSMS_WEBHOOK_URL``, signed with the
  shared secret ``COMMANDS_CSMS_WEBHOOK_SECRET``; the CSMS answers later, once the charger did (or did not) do it,
  through the internal API ``POST /api/v1/commands/{id}/result``;
* ``roaming.commands.simulator.SimulatorCsmsAdapter``: plays a charger for demos and tests.

An adapter is called by a Celery task, outside any database transaction, once the eMSP has had its
CommandResponse. It must return once the command is handed over (not wait for the charger) and raise
``CsmsUnreachable`` when it could not be: the task retries a few times, then the eMSP gets a FAILED result. The
result, whenever it comes, goes through ``roaming.commands.services.cpo.command_result_from_csms``.
"""

import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string


class CsmsUnreachable(Exception):
    """The command could not be handed to the CSMS (worth retrying)."""


@dataclass(frozen=True)
class CsmsCommand:
    """What the CSMS is asked to do, in its own terms (its charger id, its transaction id).

    ``reservation_id`` is ours, unique across eMSPs (mod_commands.asciidoc, ReserveNow: "the reservation_id sent by
    the Sender ... SHALL NOT be sent directly to a Charge Point"): the id of the RESERVE_NOW command."""

    id: str
    command: str
    timeout: int
    result_url: str
    location_id: str = ""
    evse_uid: str = ""
    connector_id: str = ""
    charger_id: str = ""
    token: dict | None = None
    authorization_reference: str = ""
    reservation_id: str = ""
    expiry_date: str = ""
    transaction_id: str = ""
    session_id: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value not in ("", None, {})}


class CsmsAdapter(Protocol):
    def supports(self, command: str) -> bool:
        """Whether the CSMS can carry out this CommandType at all (NOT_SUPPORTED is answered otherwise)."""

    def send(self, command: CsmsCommand) -> None:
        """Hand the command to the CSMS and return; raise ``CsmsUnreachable`` when that failed."""


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the shared secret>`` (README, Commands)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookCsmsAdapter:
    """POSTs each command to the CSMS's webhook, signed in ``X-Roaming-Signature`` (``webhook_signature``)."""

    def supports(self, command: str) -> bool:
        return bool(settings.COMMANDS_CSMS_WEBHOOK_URL)

    def send(self, command: CsmsCommand) -> None:
        body = json.dumps(command.to_json(), separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Roaming-Signature": webhook_signature(settings.COMMANDS_CSMS_WEBHOOK_SECRET, int(time.time()), body),
            "X-Roaming-Command-Id": command.id,
        }
        try:
            response = requests.post(
                settings.COMMANDS_CSMS_WEBHOOK_URL,
                data=body,
                headers=headers,
                timeout=settings.COMMANDS_CSMS_WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise CsmsUnreachable(f"the CSMS webhook could not be reached ({type(exc).__name__})") from exc
        if response.status_code >= 300:
            raise CsmsUnreachable(f"the CSMS webhook answered HTTP {response.status_code}")


@cache
def csms_adapter() -> CsmsAdapter:
    return import_string(settings.COMMANDS_CSMS_ADAPTER)()
