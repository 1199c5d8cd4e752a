"""The module registry: OCPI modules register their endpoints here from ``AppConfig.ready()``.

Version details (version_information_endpoint.asciidoc) are generated from this registry, so what we publish is
exactly what we serve; adding a module never edits the versions view. An endpoint names the party role it serves
(e.g. locations SENDER for our CPO side); it is published only when that role is in ``settings.OCPI_ROLES``.
One installation serving CPO and eMSP therefore publishes e.g. ``locations`` twice, SENDER and RECEIVER.
"""

from dataclasses import dataclass

from django.conf import settings

SUPPORTED_VERSIONS = ("2.2.1",)


@dataclass(frozen=True)
class OcpiEndpoint:
    """One interface of one module in one OCPI version.

    ``path`` is relative to ``/ocpi/<version>/`` (e.g. ``cpo/locations``) and ``urlconf`` the module's URL list
    mounted there. ``party_role`` is the role of ours this interface belongs to (``None``: always served).
    """

    version: str
    identifier: str
    role: str
    path: str
    urlconf: str
    party_role: str | None = None

    @property
    def url(self) -> str:
        return f"{settings.OCPI_BASE_URL}/ocpi/{self.version}/{self.path}"

    @property
    def enabled(self) -> bool:
        return self.party_role is None or self.party_role in settings.OCPI_ROLES


_endpoints: dict[tuple[str, str, str], OcpiEndpoint] = {}


def register(endpoint: OcpiEndpoint) -> None:
    """Register an endpoint; registering the same (version, module, role) twice replaces the first."""
    if endpoint.version not in SUPPORTED_VERSIONS:
        raise ValueError(f"OCPI version {endpoint.version} is not supported by the core")
    _endpoints[(endpoint.version, endpoint.identifier, endpoint.role)] = endpoint


def register_data_module(
    identifier: str, *, owner_role: str, sender_urlconf: str, receiver_urlconf: str, version: str = "2.2.1"
) -> None:
    """Register both interfaces of a functional module: the SENDER, served by our side that owns the data
    (``owner_role``, e.g. CPO for locations), at ``<owner>/<module>``, and the RECEIVER, served by our other side,
    at ``<other>/<module>`` (version_information_endpoint.asciidoc: one platform may list a module twice)."""
    other_role = "EMSP" if owner_role == "CPO" else "CPO"
    for role, party_role, urlconf in (
        ("SENDER", owner_role, sender_urlconf),
        ("RECEIVER", other_role, receiver_urlconf),
    ):
        register(
            OcpiEndpoint(
                version=version,
                identifier=identifier,
                role=role,
                path=f"{party_role.lower()}/{identifier}",
                urlconf=urlconf,
                party_role=party_role,
            )
        )


def owner_role(identifier: str, version: str = "2.2.1") -> str:
    """The party role that owns ``identifier``'s objects: the role serving its SENDER interface (CPO for
    locations, EMSP for tokens). Partners may write that module's objects only under their roles of this kind."""
    endpoint = _endpoints.get((version, identifier, "SENDER"))
    if endpoint is None or endpoint.party_role is None:
        raise LookupError(f"module {identifier!r} registered no SENDER interface")
    return endpoint.party_role


def register_configuration_module(identifier: str, *, path: str, urlconf: str, version: str = "2.2.1") -> None:
    """Register a configuration module (credentials) under both interface roles, one URL.

    version_information_endpoint.asciidoc gives credentials no meaningful role and its examples say SENDER, but
    implementations disagree: some look for a credentials RECEIVER before registering with us (py-ocpi publishes
    only RECEIVER). Publishing both, same URL, satisfies either reading; the URL tree mounts the path once.
    """
    for role in ("SENDER", "RECEIVER"):
        register(OcpiEndpoint(version=version, identifier=identifier, role=role, path=path, urlconf=urlconf))


def all_endpoints() -> list[OcpiEndpoint]:
    return sorted(_endpoints.values(), key=lambda e: (e.version, e.identifier, e.role))


def endpoints(version: str) -> list[OcpiEndpoint]:
    """The endpoints published (and served) for ``version`` with the roles this installation plays."""
    return [e for e in all_endpoints() if e.version == version and e.enabled]


def versions() -> list[str]:
    return [v for v in SUPPORTED_VERSIONS if endpoints(v)]


def endpoint_url(version: str, identifier: str, role: str) -> str | None:
    endpoint = _endpoints.get((version, identifier, role))
    return endpoint.url if endpoint and endpoint.enabled else None


def versions_url() -> str:
    return f"{settings.OCPI_BASE_URL}/ocpi/versions"


def version_details_url(version: str) -> str:
    return f"{settings.OCPI_BASE_URL}/ocpi/{version}"


def own_party(role: str) -> tuple[str, str]:
    """The country_code/party_id of our ``role`` (one party plays every role we play here)."""
    return settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID


def own_roles() -> list[dict]:
    """Our CredentialsRole list (credentials.asciidoc, CredentialsRole): one per role we play."""
    business = {"name": settings.OCPI_BUSINESS_NAME}
    if settings.OCPI_BUSINESS_WEBSITE:
        business["website"] = settings.OCPI_BUSINESS_WEBSITE
    return [
        {
            "role": role,
            "business_details": business,
            "party_id": settings.OCPI_PARTY_ID,
            "country_code": settings.OCPI_COUNTRY_CODE,
        }
        for role in settings.OCPI_ROLES
    ]


def routing_roles(identifier: str, partner_interface: str, version: str = "2.2.1") -> tuple[str | None, str | None]:
    """``(our role, the partner's role)`` in a call to the partner's ``partner_interface`` of module ``identifier``
    (transport_and_format.asciidoc, message routing: FROM is the party sending, TO the one receiving).

    Calling a partner's RECEIVER, we are the module's sender (e.g. our CPO pushing locations to its eMSP); calling its
    SENDER, we are the receiver (our eMSP pulling from its CPO). The partner plays the interface in the role our own
    endpoint of that interface is served by. ``(None, None)`` for an unknown module."""
    ours = _endpoints.get((version, identifier, "SENDER" if partner_interface == "RECEIVER" else "RECEIVER"))
    theirs = _endpoints.get((version, identifier, partner_interface))
    if ours is None or theirs is None:
        return None, None
    return ours.party_role, theirs.party_role
