"""Who is calling: the authenticated OCPI principal placed on ``request.user`` / ``request.auth``."""

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

    def owns(self, country_code: str, party_id: str) -> bool:
        """CiString comparison: country_code/party_id are case-insensitive (types.asciidoc, CiString)."""
        return (country_code.upper(), party_id.upper()) in self.parties

    def __str__(self) -> str:
        return self.partner_name
