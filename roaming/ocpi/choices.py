"""OCPI 2.2.1 enums shared by several modules; values are the wire strings.

Defined in mod_locations.asciidoc, "Data types", but used by the classes of ``roaming.ocpi.serializers`` that other
modules reuse (Image in BusinessDetails, EnergyMix in Tariffs). The locations module's choices re-export them.
"""

from django.db import models


class ImageCategory(models.TextChoices):
    """mod_locations.asciidoc, ImageCategory enum."""

    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class EnergySourceCategory(models.TextChoices):
    """mod_locations.asciidoc, EnergySourceCategory enum."""

    NUCLEAR = "NUCLEAR"
    GENERAL_FOSSIL = "GENERAL_FOSSIL"
    COAL = "COAL"
    GAS = "GAS"
    GENERAL_GREEN = "GENERAL_GREEN"
    SOLAR = "SOLAR"
    WIND = "WIND"
    WATER = "WATER"


class EnvironmentalImpactCategory(models.TextChoices):
    """mod_locations.asciidoc, EnvironmentalImpactCategory enum."""

    NUCLEAR_WASTE = "NUCLEAR_WASTE"
    CARBON_DIOXIDE = "CARBON_DIOXIDE"
