"""OCPI 2.2.1 enums shared by several modules; values are the wire strings.

Defined in mod_locations.asciidoc, "Data types", but used by the classes of ``roaming.ocpi.serializers`` that other
modules reuse (Image in BusinessDetails, EnergyMix in Tariffs). The locations module's choices re-export them.
"""

from django.db import models


class ImageCategory(models.TextChoices):
    """mod_locations.asciidoc, ImageCategory enum."""

    CHARGER = "CHARGER", "Charger"
    ENTRANCE = "ENTRANCE", "Entrance"
    LOCATION = "LOCATION", "Location"
    NETWORK = "NETWORK", "Network"
    OPERATOR = "OPERATOR", "Operator"
    OTHER = "OTHER", "Other"
    OWNER = "OWNER", "Owner"


class EnergySourceCategory(models.TextChoices):
    """mod_locations.asciidoc, EnergySourceCategory enum."""

    NUCLEAR = "NUCLEAR", "Nuclear"
    GENERAL_FOSSIL = "GENERAL_FOSSIL", "Fossil (general)"
    COAL = "COAL", "Coal"
    GAS = "GAS", "Gas"
    GENERAL_GREEN = "GENERAL_GREEN", "Green (general)"
    SOLAR = "SOLAR", "Solar"
    WIND = "WIND", "Wind"
    WATER = "WATER", "Water"


class EnvironmentalImpactCategory(models.TextChoices):
    """mod_locations.asciidoc, EnvironmentalImpactCategory enum."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE", "Nuclear waste"
    CARBON_DIOXIDE = "CARBON_DIOXIDE", "Carbon dioxide (CO2)"


class TokenType(models.TextChoices):
    """mod_tokens.asciidoc, TokenType enum (also in Sessions' and CDRs' CdrToken and in publish_allowed_to)."""

    AD_HOC_USER = "AD_HOC_USER", "Ad hoc user (one-time payment)"
    APP_USER = "APP_USER", "App user"
    OTHER = "OTHER", "Other"
    RFID = "RFID", "RFID card"


class ProfileType(models.TextChoices):
    """mod_tokens.asciidoc, ProfileType enum (a Token's default profile, a Session's charging preferences)."""

    CHEAP = "CHEAP", "Cheap"
    FAST = "FAST", "Fast"
    GREEN = "GREEN", "Green"
    REGULAR = "REGULAR", "Regular"


class AuthMethod(models.TextChoices):
    """mod_cdrs.asciidoc, AuthMethod enum (a Session's and a CDR's)."""

    AUTH_REQUEST = "AUTH_REQUEST", "Authorization request to the eMSP"
    COMMAND = "COMMAND", "Command (StartSession / ReserveNow)"
    WHITELIST = "WHITELIST", "Whitelist (token cache)"


class CdrDimensionType(models.TextChoices):
    """mod_cdrs.asciidoc (2.2.1), CdrDimensionType enum. CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, POWER and
    STATE_OF_CHARGE are meant for Session charging periods; a CDR carrying them is not wrong enough to refuse."""

    CURRENT = "CURRENT", "Current (A)"
    ENERGY = "ENERGY", "Energy (kWh)"
    ENERGY_EXPORT = "ENERGY_EXPORT", "Energy exported (kWh)"
    ENERGY_IMPORT = "ENERGY_IMPORT", "Energy imported (kWh)"
    MAX_CURRENT = "MAX_CURRENT", "Max current (A)"
    MIN_CURRENT = "MIN_CURRENT", "Min current (A)"
    MAX_POWER = "MAX_POWER", "Max power (kW)"
    MIN_POWER = "MIN_POWER", "Min power (kW)"
    PARKING_TIME = "PARKING_TIME", "Parking time (h)"
    POWER = "POWER", "Power (kW)"
    RESERVATION_TIME = "RESERVATION_TIME", "Reservation time (h)"
    STATE_OF_CHARGE = "STATE_OF_CHARGE", "State of charge (%)"
    TIME = "TIME", "Charging time (h)"
