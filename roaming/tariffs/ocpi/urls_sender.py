"""Tariffs Sender interface (our CPO), mounted at ``/ocpi/2.2.1/cpo/tariffs``."""

from django.urls import re_path

from roaming.tariffs.ocpi.views import TariffSenderListView

urlpatterns = [re_path(r"^/?$", TariffSenderListView.as_view(), name="ocpi-tariffs-sender")]
