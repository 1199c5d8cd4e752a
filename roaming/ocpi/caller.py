"""Who is calling: the authenticated OCPI principal placed on ``request.user`` / ``request.auth``."""

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OcpiCaller:
    """A partner platform authenticated by its credentials token (transport_and_format.asciidoc, Authorization).

    ``token_kind`` is ``"A"`` for a one-time registration token (valid on versions and credentials only) and
    ``"C"`` for a token issued by the credentials handshake. ``parties`` holds the (country_code, party_id) pairs
    of the partner's roles, upper-cased: the only parties it may read or write objects for.
    """

    partner_id: int
    partner_name: str
    token_kind: str
    token: str = field(repr=False)
    token_encoding: str = "base64"
    parties: frozenset[tuple[str, str]] = frozenset()
    roles: tuple[tuple[str, str, str], ...] = ()
    version: str | None = None
    #: partner profile: the key its bodies use for a token's type (roaming.ocpi.profile)
    token_type_field: str = "type"

    # DRF and Django treat request.user as a user object: make the permission checks read naturally.
    is_authenticated = True
    is_anonymous = False
    is_staff = False

    @property
    def is_registered(self) -> bool:
        return self.token_kind == "C"

    def owns(self, country_code: str, party_id: str, role: str | None = None) -> bool:
        """Whether the caller holds ``country_code``/``party_id`` (CiStrings, types.asciidoc), in ``role`` when
        given: a module's objects belong to the role that owns the module (CPO for locations, tariffs, sessions,
        CDRs; EMSP for tokens), so the same party under another role of the caller is not enough."""
        wanted = (country_code.upper(), party_id.upper())
        if role is None:
            return wanted in self.parties
        return any((cc.upper(), pid.upper()) == wanted and r.upper() == role.upper() for cc, pid, r in self.roles)

    def __str__(self) -> str:
        return self.partner_name

    def parties_as(self, role: str) -> set[tuple[str, str]]:
        """The (country_code, party_id) pairs of the caller's ``role`` roles, upper-cased."""
        return {(cc.upper(), pid.upper()) for cc, pid, r in self.roles if r == role}


#: The caller of the OCPI request being served in this context (``OcpiView`` sets it once authenticated, and resets
#: it when the request ends): the kit's party check of a partner's push reads the roles the authentication has just
#: read, instead of reading them again (a query on every PUT and PATCH).
_serving: ContextVar[OcpiCaller | None] = ContextVar("ocpi_caller", default=None)


def serving_caller() -> OcpiCaller | None:
    return _serving.get()


def serve_as(caller: OcpiCaller | None):
    """Make ``caller`` the one being served; returns the token ``end_serving`` takes."""
    return _serving.set(caller)


def end_serving(token) -> None:
    _serving.reset(token)
