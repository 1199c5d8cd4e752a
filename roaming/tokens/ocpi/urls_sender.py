"""Tokens Sender interface (our eMSP), mounted at ``/ocpi/2.2.1/emsp/tokens``."""

from django.urls import re_path

from roaming.tokens.ocpi.views import TokenAuthorizeView, TokenSenderListView

urlpatterns = [
    re_path(r"^/?$", TokenSenderListView.as_view(), name="ocpi-tokens-sender"),
    re_path(r"^/(?P<token_uid>[^/]+)/authorize/?$", TokenAuthorizeView.as_view(), name="ocpi-tokens-authorize"),
]
