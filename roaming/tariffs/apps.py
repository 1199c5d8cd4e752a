from django.apps import AppConfig


class TariffsConfig(AppConfig):
    """The OCPI tariffs module (mod_tariffs.asciidoc): our CPO's Sender, our eMSP's Receiver, and the pull handler
    that keeps partners' tariffs in sync."""

    name = "roaming.tariffs"
    label = "tariffs"
    verbose_name = "Tariffs"

    def ready(self):
        from roaming.ocpi import registry
        from roaming.ocpi.pull import PullHandler, register_pull_handler
        from roaming.ocpi.status import InterfaceRole
        from roaming.tariffs.services import tariffs_ingest_page

        registry.register(
            registry.OcpiEndpoint(
                version="2.2.1",
                identifier="tariffs",
                role=InterfaceRole.SENDER,
                path="cpo/tariffs",
                urlconf="roaming.tariffs.ocpi.urls_sender",
                party_role="CPO",
            )
        )
        registry.register(
            registry.OcpiEndpoint(
                version="2.2.1",
                identifier="tariffs",
                role=InterfaceRole.RECEIVER,
                path="emsp/tariffs",
                urlconf="roaming.tariffs.ocpi.urls_receiver",
                party_role="EMSP",
            )
        )
        register_pull_handler(PullHandler(module="tariffs", ingest=tariffs_ingest_page))
