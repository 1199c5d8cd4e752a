from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Counterparties: roles, credentials, the registration handshake and discovered endpoints."""

    name = "roaming.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self):
        from roaming.ocpi import registry
        from roaming.ocpi.status import InterfaceRole

        # credentials: one endpoint, role meaningless (spec: send SENDER).
        registry.register(
            registry.OcpiEndpoint(
                version="2.2.1",
                identifier="credentials",
                role=InterfaceRole.SENDER,
                path="credentials",
                urlconf="roaming.partners.ocpi.urls",
            )
        )
