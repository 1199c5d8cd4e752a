from django.apps import AppConfig


class OcpiConfig(AppConfig):
    """The OCPI protocol core: transport, envelope, auth, pagination, versions, outbound client, traffic log."""

    name = "roaming.ocpi"
    label = "ocpi"
    verbose_name = "OCPI"
