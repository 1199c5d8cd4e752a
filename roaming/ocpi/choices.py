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
