from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """The OCPI commands module (mod_commands.asciidoc): our CPO's Receiver (commands handed to our CSMS through an
    adapter, results posted back through the outbox) and our eMSP's Sender (commands sent for our drivers, the
    results received at a ``response_url`` unique to each command)."""

    name = "roaming.commands"
    label = "commands"
    verbose_name = "Commands"

    def ready(self):
        from roaming.ocpi import registry
        from roaming.ocpi.push import register_push_interface
        from roaming.ocpi.status import InterfaceRole

        # The eMSP sends commands (SENDER, where results arrive), the CPO receives them (RECEIVER).
        registry.register_data_module(
            "commands",
            owner_role="EMSP",
            sender_urlconf="roaming.commands.ocpi.urls_sender",
            receiver_urlconf="roaming.commands.ocpi.urls_receiver",
        )
        # CommandResults go to the eMSP's Sender interface (its response_url).
        register_push_interface("commands", InterfaceRole.SENDER)
