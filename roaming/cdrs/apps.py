from django.apps import AppConfig


class CdrsConfig(AppConfig):
    """The OCPI cdrs module."""

    name = "roaming.cdrs"
    label = "cdrs"
    verbose_name = "Cdrs"
