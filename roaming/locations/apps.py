from django.apps import AppConfig


class LocationsConfig(AppConfig):
    """The OCPI locations module."""

    name = "roaming.locations"
    label = "locations"
    verbose_name = "Locations"

    def ready(self):
        self.register_endpoints()
        self.register_pull()

    def register_pull(self):
        """The pull engine hands each page of a CPO partner's locations to our receive-side ingest, and after a
        complete full pull has the Locations it no longer returned marked removed."""
        from roaming.locations.services.ingest import locations_ingest_page
        from roaming.locations.services.removal import locations_remove_missing
        from roaming.ocpi.pull import PullHandler, register_pull_handler

        register_pull_handler(
            PullHandler(module="locations", ingest=locations_ingest_page, remove_missing=locations_remove_missing)
        )

    def register_endpoints(self):
        """Sender (our CPO: partners pull our Locations) and Receiver (our eMSP: CPOs push theirs), each published
        only when we play that role (mod_locations.asciidoc, Interfaces and endpoints)."""
        from roaming.ocpi import registry

        registry.register_data_module(
            "locations",
            owner_role="CPO",
            sender_urlconf="roaming.locations.ocpi.urls_sender",
            receiver_urlconf="roaming.locations.ocpi.urls_receiver",
        )
