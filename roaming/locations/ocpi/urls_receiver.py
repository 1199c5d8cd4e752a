"""Receiver interface of locations (our eMSP), mounted at ``/ocpi/2.2.1/emsp/locations``: objects live under the
owning CPO's ``{country_code}/{party_id}`` (client owned objects)."""

from django.urls import re_path

from roaming.locations.ocpi import views

_LOCATION = r"^/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<location_id>[^/]+)"

urlpatterns = [
    re_path(_LOCATION + r"/?$", views.LocationReceiverView.as_view(), name="ocpi-locations-receiver"),
    re_path(
        _LOCATION + r"/(?P<evse_uid>[^/]+)/?$",
        views.EvseReceiverView.as_view(),
        name="ocpi-locations-receiver-evse",
    ),
    re_path(
        _LOCATION + r"/(?P<evse_uid>[^/]+)/(?P<connector_id>[^/]+)/?$",
        views.ConnectorReceiverView.as_view(),
        name="ocpi-locations-receiver-connector",
    ),
]
