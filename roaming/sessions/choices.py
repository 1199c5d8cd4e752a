"""OCPI enumerations of the sessions module (mod_sessions.asciidoc, "Data types"; AuthMethod from mod_cdrs)."""

from django.db import models


class SessionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active (charging or plugged in)"
    COMPLETED = "COMPLETED", "Completed"
    INVALID = "INVALID", "Invalid"
    PENDING = "PENDING", "Pending (not started yet)"
    RESERVATION = "RESERVATION", "Reservation"


#: Statuses after which a session never changes again (mod_sessions.asciidoc, SessionStatus).
FINAL_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.INVALID})


class AuthMethod(models.TextChoices):
    AUTH_REQUEST = "AUTH_REQUEST", "Real-time authorization request"
    COMMAND = "COMMAND", "Command (app / remote start)"
    WHITELIST = "WHITELIST", "Whitelist (token cache)"


class TokenType(models.TextChoices):
    AD_HOC_USER = "AD_HOC_USER", "Ad hoc user"
    APP_USER = "APP_USER", "App user"
    OTHER = "OTHER", "Other"
    RFID = "RFID", "RFID card"


class ProfileType(models.TextChoices):
    CHEAP = "CHEAP", "Cheap"
    FAST = "FAST", "Fast"
    GREEN = "GREEN", "Green"
    REGULAR = "REGULAR", "Regular"


class ChargingPreferencesResponse(models.TextChoices):
    ACCEPTED = "ACCEPTED", "Accepted"
    DEPARTURE_REQUIRED = "DEPARTURE_REQUIRED", "Departure time required"
    ENERGY_NEED_REQUIRED = "ENERGY_NEED_REQUIRED", "Energy need required"
    NOT_POSSIBLE = "NOT_POSSIBLE", "Not possible"
    PROFILE_TYPE_NOT_SUPPORTED = "PROFILE_TYPE_NOT_SUPPORTED", "Profile type not supported"


class CdrDimensionType(models.TextChoices):
    """CdrDimensionType (mod_cdrs.asciidoc), Session-only types included."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"
