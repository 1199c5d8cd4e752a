from django.apps import AppConfig


class TariffsConfig(AppConfig):
    """The OCPI tariffs module."""

    name = "roaming.tariffs"
    label = "tariffs"
    verbose_name = "Tariffs"
