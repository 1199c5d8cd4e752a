"""What the push and pull engines need to know about partners, answered by the partners app.

The core imports no module app; ``settings.OCPI_PARTNER_DIRECTORY`` names the implementation
(``roaming.partners.directory.PartnerDirectory``).
"""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from roaming.ocpi.client import OcpiClient


class PartnerDirectory(Protocol):
    def receivers(self, identifier: str) -> list[int]:
        """Registered partners that published a RECEIVER endpoint for module ``identifier``."""

    def endpoint_url(self, partner_id: int, identifier: str, role: str) -> str | None:
        """The URL the partner published for ``identifier``/``role``."""

    def client(
        self, partner_id: int, *, module: str = "", interface: str = "", retries: int | None = None
    ) -> OcpiClient:
        """An outbound client carrying the partner's token; for a call to the partner's ``interface`` of ``module``
        its routing headers name our role that sends and the partner's role that receives
        (``registry.routing_roles``). ``retries``: the client's own quick retries (None: the setting)."""

    def state(self, partner_id: int) -> str:
        """``active`` (talk to it), ``paused`` (suspended: keep pushes for later) or ``gone`` (unregistered)."""


@cache
def directory() -> PartnerDirectory:
    return import_string(settings.OCPI_PARTNER_DIRECTORY)()
