from django.apps import AppConfig


class TokensConfig(AppConfig):
    """The OCPI tokens module (mod_tokens.asciidoc): our eMSP's Sender (token list and real-time authorization),
    our CPO's Receiver (the token cache), the pull handler that keeps the cache in sync, and the authorization
    decision our CSMS asks for."""

    name = "roaming.tokens"
    label = "tokens"
    verbose_name = "Tokens"

    def ready(self):
        from roaming.ocpi import registry
        from roaming.ocpi.pull import PullHandler, register_pull_handler
        from roaming.tokens.services.receive import tokens_ingest_page
        from roaming.tokens.services.removal import token_key_of, tokens_remove_missing

        registry.register_data_module(
            "tokens",
            owner_role="EMSP",
            sender_urlconf="roaming.tokens.ocpi.urls_sender",
            receiver_urlconf="roaming.tokens.ocpi.urls_receiver",
        )
        register_pull_handler(
            PullHandler(
                module="tokens", ingest=tokens_ingest_page, remove_missing=tokens_remove_missing, key=token_key_of
            )
        )
