from django.apps import AppConfig


class TokensConfig(AppConfig):
    """The OCPI tokens module."""

    name = "roaming.tokens"
    label = "tokens"
    verbose_name = "Tokens"
