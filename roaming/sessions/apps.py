from django.apps import AppConfig


class ChargingSessionsConfig(AppConfig):
    """The OCPI sessions module (mod_sessions.asciidoc): our CPO's Sender (sessions our CSMS reports, priced live
    and pushed to the owning eMSP, charging preferences), our eMSP's Receiver and the pull handler. Labelled
    ``charging_sessions``: ``sessions`` is django.contrib.sessions."""

    name = "roaming.sessions"
    label = "charging_sessions"
    verbose_name = "Charging sessions"

    def ready(self):
        from roaming.ocpi import registry
        from roaming.ocpi.pull import PullHandler, register_pull_handler
        from roaming.ocpi.push import register_patch_failure_handler
        from roaming.sessions.services.announce import on_patch_failed
        from roaming.sessions.services.receive import sessions_ingest_page

        registry.register_data_module(
            "sessions",
            owner_role="CPO",
            sender_urlconf="roaming.sessions.ocpi.urls_sender",
            receiver_urlconf="roaming.sessions.ocpi.urls_receiver",
        )
        register_pull_handler(PullHandler(module="sessions", ingest=sessions_ingest_page, date_from_required=True))
        register_patch_failure_handler("sessions", on_patch_failed)
