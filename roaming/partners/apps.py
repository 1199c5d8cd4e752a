from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Counterparties: roles, credentials, the registration handshake and discovered endpoints."""

    name = "roaming.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self):
        from roaming.ocpi import registry

        # credentials: one endpoint, published as SENDER and RECEIVER (peers disagree on which to look for).
        registry.register_configuration_module(
            "credentials", path="credentials", urlconf="roaming.partners.ocpi.urls", version="2.2.1"
        )
