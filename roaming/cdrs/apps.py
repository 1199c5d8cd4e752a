from django.apps import AppConfig


class CdrsConfig(AppConfig):
    """The OCPI cdrs module (mod_cdrs.asciidoc): our CPO's Sender and POSTs to eMSPs, our eMSP's Receiver, the pull
    handler for CDRs missed while we were down, and finance's review screens."""

    name = "roaming.cdrs"
    label = "cdrs"
    verbose_name = "CDRs"

    def ready(self):
        from roaming.cdrs import signals
        from roaming.cdrs.services import cdr_delivery_confirmed, cdrs_ingest_page
        from roaming.ocpi import registry
        from roaming.ocpi.pull import PullHandler, register_pull_handler
        from roaming.ocpi.push import register_delivery_listener

        registry.register_data_module(
            "cdrs",
            owner_role="CPO",
            sender_urlconf="roaming.cdrs.ocpi.urls_sender",
            receiver_urlconf="roaming.cdrs.ocpi.urls_receiver",
        )
        register_pull_handler(PullHandler(module="cdrs", ingest=cdrs_ingest_page))
        register_delivery_listener("cdrs", cdr_delivery_confirmed)
        signals.connect()
