"""Root URLs: the admin, the internal API and its OpenAPI schema, and the OCPI tree (built from the registry)."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from roaming.core.timezones import staff_time_zone_view
from roaming.ocpi.metrics import metrics_view

# The admin site is the theme's (django-unfold installs it as admin.site); titles and sidebar: settings.UNFOLD.
admin.site.index_title = "Dashboard"

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
