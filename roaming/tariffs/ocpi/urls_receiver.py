"""Tariffs Receiver interface (our eMSP), mounted at ``/ocpi/2.2.1/emsp/tariffs``."""

from django.urls import re_path

from roaming.tariffs.ocpi.views import TariffReceiverView

urlpatterns = [
    re_path(
        r"^/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<tariff_id>[^/]+)/?$",
        TariffReceiverView.as_view(),
        name="ocpi-tariffs-receiver",
    ),
]
