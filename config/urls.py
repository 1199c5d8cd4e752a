"""Root URLs: the admin, the internal API and its OpenAPI schema, and the OCPI tree (built from the registry)."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from roaming.core.timezones import staff_time_zone_view
from roaming.ocpi.metrics import metrics_view

admin.site.site_header = "Roaming back office"
admin.site.site_title = "Roaming back office"
admin.site.index_title = "OCPI roaming"
# Lists need the width (a 1,400 px screen must show every column); the home page and breadcrumbs navigate.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Browsers ask for /favicon.ico on every page; answer with our icon instead of a logged 404.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/time-zone/", admin.site.admin_view(staff_time_zone_view), name="staff-time-zone"),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("roaming.locations.api.urls")),
    path("api/v1/", include("roaming.tokens.api.urls")),
    path("api/v1/", include("roaming.sessions.api.urls")),
    path("api/v1/", include("roaming.commands.api.urls")),
    path("", include("roaming.ocpi.urls")),
]
