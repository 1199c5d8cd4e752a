"""Sessions Sender interface (our CPO), mounted at ``/ocpi/2.2.1/cpo/sessions``."""

from django.urls import re_path

from roaming.sessions.ocpi.views import SessionChargingPreferencesView, SessionSenderListView

urlpatterns = [
    re_path(r"^/?$", SessionSenderListView.as_view(), name="ocpi-sessions-sender"),
    re_path(
        r"^/(?P<session_id>[^/]+)/charging_preferences/?$",
        SessionChargingPreferencesView.as_view(),
        name="ocpi-sessions-charging-preferences",
    ),
]
