"""Tokens Receiver interface (our CPO), mounted at ``/ocpi/2.2.1/cpo/tokens``."""

from django.urls import re_path

from roaming.tokens.ocpi.views import TokenReceiverView

urlpatterns = [
    re_path(
        r"^/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<token_uid>[^/]+)/?$",
        TokenReceiverView.as_view(),
        name="ocpi-tokens-receiver",
    ),
]
