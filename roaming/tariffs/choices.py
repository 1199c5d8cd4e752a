"""OCPI 2.2.1 enums of the tariffs module (mod_tariffs.asciidoc, "Data types"); values are the wire strings."""

from django.db import models


class TariffType(models.TextChoices):
    """mod_tariffs.asciidoc, TariffType enum. Absent on a Tariff means "valid for all sessions"."""

    AD_HOC_PAYMENT = "AD_HOC_PAYMENT", "Ad-hoc payment"
    PROFILE_CHEAP = "PROFILE_CHEAP", "Profile: cheap"
    PROFILE_FAST = "PROFILE_FAST", "Profile: fast"
    PROFILE_GREEN = "PROFILE_GREEN", "Profile: green"
    REGULAR = "REGULAR", "Regular"


class TariffDimensionType(models.TextChoices):
    """mod_tariffs.asciidoc, TariffDimensionType enum (step_size units: ENERGY 1 Wh, TIME/PARKING_TIME 1 s)."""

    ENERGY = "ENERGY", "Energy"
    FLAT = "FLAT", "Flat"
    PARKING_TIME = "PARKING_TIME", "Parking time"
    TIME = "TIME", "Time"


class DayOfWeek(models.TextChoices):
    """mod_tariffs.asciidoc, DayOfWeek enum."""

    MONDAY = "MONDAY", "Monday"
    TUESDAY = "TUESDAY", "Tuesday"
    WEDNESDAY = "WEDNESDAY", "Wednesday"
    THURSDAY = "THURSDAY", "Thursday"
    FRIDAY = "FRIDAY", "Friday"
    SATURDAY = "SATURDAY", "Saturday"
    SUNDAY = "SUNDAY", "Sunday"


class ReservationRestrictionType(models.TextChoices):
    """mod_tariffs.asciidoc, ReservationRestrictionType enum."""

    RESERVATION = "RESERVATION", "Reservation"
    RESERVATION_EXPIRES = "RESERVATION_EXPIRES", "Reservation expires"
