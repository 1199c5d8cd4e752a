from django.apps import AppConfig


class LocationsConfig(AppConfig):
    """The OCPI locations module."""

    name = "roaming.locations"
    label = "locations"
    verbose_name = "Locations"
