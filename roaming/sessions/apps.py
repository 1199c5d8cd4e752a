from django.apps import AppConfig


class ChargingSessionsConfig(AppConfig):
    """The OCPI sessions module. Labelled ``charging_sessions``: ``sessions`` is django.contrib.sessions."""

    name = "roaming.sessions"
    label = "charging_sessions"
    verbose_name = "Charging sessions"
