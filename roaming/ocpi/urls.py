"""OCPI URL tree, built from the module registry: ``/ocpi/versions``, ``/ocpi/<version>`` and each module's
endpoints under ``/ocpi/<version>/<path>``. Only endpoints of roles this installation plays are mounted.

Every endpoint is mounted twice, generically, so no module has to care: at ``<path>`` (``{url}/{cc}/{pid}/{id}``,
the spec's form) and glued (``{url}{cc}/{pid}/{id}``), which some clients send when the URL we advertise has no
trailing slash: they concatenate ``{url}`` and the parameters as transport_and_format.asciidoc writes them.
"""

import re

from django.urls import URLResolver, include, path, re_path
from django.urls.resolvers import RegexPattern

from roaming.ocpi import registry
from roaming.ocpi.views import OcpiNotFoundView, VersionDetailsView, VersionsView


class GluedPrefix(RegexPattern):
    """Matches ``<prefix>`` directly followed by a path segment and hands the module's URL list the remainder with
    the ``/`` the client left out, so ``.../emsp/locationsNL/EXA/1`` resolves as ``.../emsp/locations/NL/EXA/1``."""

    def match(self, path):
        matched = super().match(path)
        if matched is None:
            return None
        remainder, args, kwargs = matched
        return f"/{remainder}", args, kwargs


def build_urlpatterns() -> list:
    patterns = [re_path(r"^ocpi/versions/?$", VersionsView.as_view(), name="ocpi-versions")]
    mounted = set()
    for endpoint in registry.all_endpoints():
        prefix = f"ocpi/{endpoint.version}/{endpoint.path}"
        if not endpoint.enabled or prefix in mounted:  # credentials: two roles, one URL
            continue
        mounted.add(prefix)
        patterns.append(path(prefix, include(endpoint.urlconf)))
    for prefix in sorted(mounted):
        urlconf = next(
            e.urlconf for e in registry.all_endpoints() if f"ocpi/{e.version}/{e.path}" == prefix and e.enabled
        )
        patterns.append(URLResolver(GluedPrefix(rf"^{re.escape(prefix)}(?=[^/])"), urlconf))
    patterns.append(
        re_path(r"^ocpi/(?P<version>[0-9][0-9.]*)/?$", VersionDetailsView.as_view(), name="ocpi-version-details")
    )
    patterns.append(re_path(r"^ocpi/.*$", OcpiNotFoundView.as_view(), name="ocpi-not-found"))
    return patterns


urlpatterns = build_urlpatterns()
