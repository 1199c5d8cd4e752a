from django.apps import AppConfig


class CommandsConfig(AppConfig):
    """The OCPI commands module."""

    name = "roaming.commands"
    label = "commands"
    verbose_name = "Commands"
