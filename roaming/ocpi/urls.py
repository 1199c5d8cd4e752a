"""OCPI URL tree, built from the module registry: ``/ocpi/versions``, ``/ocpi/<version>`` and each module's
endpoints under ``/ocpi/<version>/<path>``. Only endpoints of roles this installation plays are mounted."""

from django.urls import include, path, re_path

from roaming.ocpi import registry
from roaming.ocpi.views import OcpiNotFoundView, VersionDetailsView, VersionsView


def build_urlpatterns() -> list:
    patterns = [re_path(r"^ocpi/versions/?$", VersionsView.as_view(), name="ocpi-versions")]
    for endpoint in registry.all_endpoints():
        if endpoint.enabled:
            patterns.append(path(f"ocpi/{endpoint.version}/{endpoint.path}", include(endpoint.urlconf)))
    patterns.append(
        re_path(r"^ocpi/(?P<version>[0-9][0-9.]*)/?$", VersionDetailsView.as_view(), name="ocpi-version-details")
    )
    patterns.append(re_path(r"^ocpi/.*$", OcpiNotFoundView.as_view(), name="ocpi-not-found"))
    return patterns


urlpatterns = build_urlpatterns()
