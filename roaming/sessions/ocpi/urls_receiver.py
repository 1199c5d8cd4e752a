"""Sessions Receiver interface (our eMSP), mounted at ``/ocpi/2.2.1/emsp/sessions``."""

from django.urls import re_path

from roaming.sessions.ocpi.views import SessionReceiverView

urlpatterns = [
    re_path(
        r"^/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<session_id>[^/]+)/?$",
        SessionReceiverView.as_view(),
        name="ocpi-sessions-receiver",
    ),
]
