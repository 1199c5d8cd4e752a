"""OCPI enumerations of the sessions module (mod_sessions.asciidoc, "Data types"; AuthMethod from mod_cdrs)."""

from django.db import models

# Shared with other modules, defined once in roaming.ocpi; re-exported so imports keep working.
from roaming.ocpi.choices import AuthMethod as AuthMethod
from roaming.ocpi.choices import CdrDimensionType as CdrDimensionType
from roaming.ocpi.choices import ProfileType as ProfileType
from roaming.ocpi.choices import TokenType as TokenType


class SessionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active (charging or plugged in)"
    COMPLETED = "COMPLETED", "Completed"
    INVALID = "INVALID", "Invalid"
    PENDING = "PENDING", "Pending (not started yet)"
    RESERVATION = "RESERVATION", "Reservation"


#: Statuses after which a session never changes again (mod_sessions.asciidoc, SessionStatus).
FINAL_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})


class ChargingPreferencesResponse(models.TextChoices):
    ACCEPTED = "ACCEPTED", "Accepted"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED", "Departure time required"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED", "Energy need required"
    NOT_POSSIBLE = "NOT_POSSIBLE", "Not possible"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED", "Profile type not supported"
