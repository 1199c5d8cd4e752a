"""CDRs Receiver interface (our eMSP), mounted at ``/ocpi/2.2.1/emsp/cdrs``."""

from django.urls import re_path

from roaming.cdrs.ocpi.views import CdrReceiverObjectView, CdrReceiverView

urlpatterns = [
    re_path(r"^/?$", CdrReceiverView.as_view(), name="ocpi-cdrs-receiver"),
    re_path(
        r"^/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<cdr_id>[^/]+)/?$",
        CdrReceiverObjectView.as_view(),
        name="ocpi-cdrs-receiver-object",
    ),
]
