"""Internal CSMS API routes, mounted under ``/api/v1/`` (no trailing slashes)."""

from django.urls import path

from roaming.locations.api import views

app_name = "csms-api"

urlpatterns = [
    path("chargers/<str:internal_id>", views.ChargerCsmsView.as_view(), name="charger"),
    path("chargers/<str:internal_id>/status", views.ChargerStatusCsmsView.as_view(), name="charger-status"),
    path("locations", views.LocationListCsmsView.as_view(), name="location-list"),
    path("locations/<str:location_id>", views.LocationCsmsView.as_view(), name="location"),
]
