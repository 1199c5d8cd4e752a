"""Tokens (mod_tokens.asciidoc, "Token Object") and the authorizations around them.

``Token`` holds both sides, like tariffs: our eMSP's own driver tokens (``source_partner`` empty, country_code/
party_id ours) and the CPO side's cache of the tokens eMSP partners pushed to us or we pulled (``source_partner``
set). A token is identified by ``(country_code, party_id, uid, type)``: the spec makes ``(uid, type)`` unique per
eMSP, and ``uid`` is a CiString, so the constraint is on the upper-cased uid.

``IssuedAuthorization`` is our eMSP's record of each real-time authorization it answered, under the
``authorization_reference`` the CPO copies into the Session and CDR that follow. ``AuthorizationDecision`` is the
CPO side's record of every decision it gave our CSMS (``POST /api/v1/authorize``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper

from roaming.ocpi.kit.models import PartnerObject
from roaming.tokens.choices import AllowedType, DecisionSource, ProfileType, TokenType, WhitelistType


class Token(PartnerObject):
    """An OCPI Token: an RFID card, an app account or another means by which a driver identifies. The owner's party,
    ``last_updated``, ``source_partner``, ``received_at`` and ``raw`` come from the partner-object kit."""

    OBJECT_ID_FIELD = "uid"

    uid = models.CharField(max_length=36, help_text="What the charger reads: the RFID UID or the app's id")
    type = models.CharField(max_length=11, choices=TokenType.choices, default=TokenType.RFID)
    contract_id = models.CharField(max_length=36, db_index=True, help_text="The driver's contract (eMA ID)")
    visual_number = models.CharField(max_length=64, blank=True, help_text="The number printed on the card")
    issuer = models.CharField(max_length=64, help_text="The company whose name is on the card")
    group_id = models.CharField(max_length=36, blank=True, help_text="Tokens that act as one (card and fob)")
    valid = models.BooleanField(default=True, help_text="Unticked: blocked")
    whitelist = models.CharField(max_length=15, choices=WhitelistType.choices, default=WhitelistType.ALLOWED)
    language = models.CharField(max_length=2, blank=True, help_text="ISO 639-1, for the charger's screen")
    default_profile_type = models.CharField(max_length=7, choices=ProfileType.choices, blank=True)
    energy_contract = models.JSONField(null=True, blank=True, help_text="EnergyContract: supplier_name, contract_id")

    class Meta:
        ordering = ["country_code", "party_id", "uid"]
        constraints = [
            # The kit's (country_code, party_id, id) rule, with ``type``: (uid, type) is unique per eMSP.
            models.UniqueConstraint(F("country_code"), F("party_id"), Upper("uid"), F("type"), name="uniq_token"),
        ]
        indexes = [
            models.Index(fields=["country_code", "party_id", "last_updated"]),
            models.Index(Upper("uid"), F("type"), name="token_uid_type"),
            models.Index(fields=["issuer"]),
            models.Index(fields=["group_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.uid} ({self.type})"

    @property
    def object_key(self) -> str:
        """The push ordering key: ``{country_code}/{party_id}/{uid}/{type}`` (one object per uid and type)."""
        return f"{self.country_code}/{self.party_id}/{self.uid}/{self.type}"

    @property
    def receiver_path(self) -> str:
        """The tail of a Receiver URL: ``{country_code}/{party_id}/{uid}?type={type}``."""
        return f"{self.country_code}/{self.party_id}/{self.uid}?type={self.type}"


class IssuedAuthorization(models.Model):
    """One real-time authorization our eMSP answered (mod_tokens.asciidoc, POST Method), kept under its
    ``authorization_reference`` so the Session and CDR the CPO sends later can be matched to it."""

    authorization_reference = models.CharField(max_length=36, unique=True)
    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="authorizations")
    allowed = models.CharField(max_length=11, choices=AllowedType.choices)
    location_id = models.CharField(max_length=36, blank=True)
    evse_uids = models.JSONField(default=list, blank=True)
    info = models.CharField(max_length=512, blank=True)
    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.authorization_reference} {self.allowed}"


class AuthorizationDecision(models.Model):
    """One answer our CPO side gave our CSMS: which token, where, the outcome, why, how fast, and whether the
    owning eMSP was unreachable so the decision fell back (to the cache, or to a refusal)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=11, choices=TokenType.choices)
    token = models.ForeignKey(Token, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emsp_country_code = models.CharField("eMSP country", max_length=2, blank=True)
    emsp_party_id = models.CharField("eMSP party", max_length=3, blank=True)
    charger_id = models.CharField("charger (CSMS id)", max_length=64, blank=True)
    location_id = models.CharField(max_length=36, blank=True)
    evse_uid = models.CharField("EVSE uid", max_length=36, blank=True)
    allowed = models.BooleanField()
    result = models.CharField(max_length=11, choices=AllowedType.choices, blank=True)
    source = models.CharField(max_length=16, choices=DecisionSource.choices)
    fell_back = models.BooleanField(default=False, help_text="The eMSP did not answer in time or erred")
    reason = models.CharField(max_length=512)
    authorization_reference = models.CharField(max_length=36, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["token_uid", "token_type"])]

    def __str__(self) -> str:
        return f"{self.token_uid} ({self.token_type}): {'allowed' if self.allowed else 'refused'}"
