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
        from roaming.tariffs.services import tariffs_ingest_page, tariffs_retire_missing

        registry.register_data_module(
            "tariffs",
            owner_role="CPO",
            sender_urlconf="roaming.tariffs.ocpi.urls_sender",
            receiver_urlconf="roaming.tariffs.ocpi.urls_receiver",
        )
        register_pull_handler(
            PullHandler(module="tariffs", ingest=tariffs_ingest_page, remove_missing=tariffs_retire_missing)
        )
