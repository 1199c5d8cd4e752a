"""Sender interface of locations (our CPO), mounted at ``/ocpi/2.2.1/cpo/locations`` (no trailing slash, so
routes start with ``/``; a trailing slash is tolerated)."""

from django.urls import re_path

from roaming.locations.ocpi import views

urlpatterns = [
    re_path(r"^/?$", views.LocationSenderListView.as_view(), name="ocpi-locations-sender-list"),
    re_path(r"^/(?P<location_id>[^/]+)/?$", views.LocationSenderDetailView.as_view(), name="ocpi-locations-sender"),
    re_path(
        r"^/(?P<location_id>[^/]+)/(?P<evse_uid>[^/]+)/?$",
        views.EvseSenderDetailView.as_view(),
        name="ocpi-locations-sender-evse",
    ),
    re_path(
        r"^/(?P<location_id>[^/]+)/(?P<evse_uid>[^/]+)/(?P<connector_id>[^/]+)/?$",
        views.ConnectorSenderDetailView.as_view(),
        name="ocpi-locations-sender-connector",
    ),
]
