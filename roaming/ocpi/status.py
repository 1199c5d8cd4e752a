"""OCPI status codes (OCPI 2.2.1, status_codes.asciidoc) and the interface roles of version details."""

from enum import IntEnum

from django.db import models


class OcpiStatus(IntEnum):
    """The four-digit ``status_code`` of the response envelope."""

    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_UNKNOWN_RECEIVER = 4001
    HUB_TIMEOUT = 4002
    HUB_CONNECTION_PROBLEM = 4003


STATUS_DESCRIPTIONS = {
    1000: "Generic success",
    2000: "Generic client error",
    2001: "Invalid or missing parameters",
    2002: "Not enough information",
    2003: "Unknown Location",
    2004: "Unknown Token",
    3000: "Generic server error",
    3001: "Unable to use the client's API",
    3002: "Unsupported version",
    3003: "No matching endpoints or expected endpoints missing between parties",
    4000: "Generic hub error",
    4001: "Unknown receiver",
    4002: "Timeout on forwarded request",
    4003: "Connection problem",
}


def is_success(status_code: int | None) -> bool:
    """1xxx is success; anything else (or no code at all) is not (status_codes.asciidoc)."""
    return status_code is not None and 1000 <= status_code < 2000


class InterfaceRole(models.TextChoices):
    """Endpoint role in version details (version_information_endpoint.asciidoc, InterfaceRole enum)."""

    SENDER = "SENDER", "Sender"
    RECEIVER = "RECEIVER", "Receiver"


class Role(models.TextChoices):
    """Party role (types.asciidoc, Role enum)."""

    CPO = "CPO", "Charge Point Operator"
    EMSP = "EMSP", "eMobility Service Provider"
    HUB = "HUB", "Hub"
    NAP = "NAP", "National Access Point"
    NSP = "NSP", "Navigation Service Provider"
    OTHER = "OTHER", "Other"
    SCSP = "SCSP", "Smart Charging Service Provider"


class ModuleID(models.TextChoices):
    """Module identifiers (version_information_endpoint.asciidoc, ModuleID enum)."""

    CDRS = "cdrs"
    CHARGINGPROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUBCLIENTINFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


# Configuration modules carry no routing headers (transport_and_format.asciidoc, message routing).
CONFIGURATION_MODULES = frozenset({"versions", ModuleID.CREDENTIALS, ModuleID.HUBCLIENTINFO})
