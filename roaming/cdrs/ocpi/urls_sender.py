"""CDRs Sender interface (our CPO), mounted at ``/ocpi/2.2.1/cpo/cdrs``."""

from django.urls import re_path

from roaming.cdrs.ocpi.views import CdrSenderListView

urlpatterns = [re_path(r"^/?$", CdrSenderListView.as_view(), name="ocpi-cdrs-sender")]
