"""Test URLconf: the test views under /ocpi/test/, then the real OCPI tree (versions, credentials, catch-all)."""

from django.urls import path

from roaming.ocpi.urls import urlpatterns as ocpi_urlpatterns
from tests.ocpi import views

urlpatterns = [
    path("ocpi/test/raise/<str:name>", views.RaiseView.as_view()),
    path("ocpi/test/data", views.DataView.as_view()),
    path("ocpi/test/validate", views.ValidateView.as_view()),
    path("ocpi/test/locations", views.LocationsModuleView.as_view()),
    path("ocpi/test/parties/<str:country_code>/<str:party_id>", views.PartyView.as_view()),
    path("ocpi/test/events", views.EventListView.as_view()),
    path("ocpi/test/collection", views._tariff_collection_view().as_view()),
    *ocpi_urlpatterns,
]
