"""Charging sessions (mod_sessions.asciidoc, "Session Object").

One table holds both sides, like locations and tariffs:

* **our CPO's sessions** (``source_partner`` empty, country_code/party_id ours): reported by our CSMS through the
  internal API, priced live, pushed to the eMSP that owns the driver's token (``emsp_partner``);
* **sessions of our eMSP's drivers** at partners' chargers (``source_partner`` = the CPO partner), received by push
  or pull.

OCPI fields carry OCPI's names. Our bookkeeping is visibly ours: the CSMS transaction id, the meter readings the
live price is computed from, the tariff as it was at start, what the push engine has already announced, the
token-cache match and the ops flag.
"""

from django.conf import settings
from django.db import models

from roaming.ocpi.kit.models import PartnerObject, partner_object_constraints
from roaming.sessions.choices import AuthMethod, SessionStatus, TokenType

MONEY = {"max_digits": 18, "decimal_places": 6, "null": True, "blank": True}


class ChargingSession(PartnerObject):
    """An OCPI Session: one driver's charge at one connector, from start (or reservation) to completion.
    ``country_code``/``party_id``/``last_updated`` and the receive bookkeeping come from the kit's
    ``PartnerObject``."""

    OBJECT_ID_FIELD = "session_id"

    # --- OCPI Session fields ---------------------------------------------------------------------------------
    session_id = models.CharField("id", max_length=36)
    start_date_time = models.DateTimeField(db_index=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    kwh = models.DecimalField("kWh", max_digits=18, decimal_places=6, default=0)
    cdr_token = models.JSONField(help_text="CdrToken: country_code, party_id, uid, type, contract_id")
    auth_method = models.CharField(max_length=12, choices=AuthMethod.choices)
    authorization_reference = models.CharField(max_length=36, blank=True)
    location_id = models.CharField(max_length=36)
    evse_uid = models.CharField("EVSE uid", max_length=36)
    connector_id = models.CharField(max_length=36)
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    charging_periods = models.JSONField(default=list, blank=True, help_text="List of ChargingPeriod")
    total_cost_excl_vat = models.DecimalField("total cost excl. VAT", **MONEY)
    total_cost_incl_vat = models.DecimalField("total cost incl. VAT", **MONEY)
    status = models.CharField(max_length=11, choices=SessionStatus.choices)
    charging_preferences = models.JSONField(null=True, blank=True, help_text="Last ChargingPreferences set")

    # --- the token, as columns for isolation, filters and the admin -------------------------------------------
    token_uid = models.CharField(max_length=36)
    token_type = models.CharField(max_length=11, choices=TokenType.choices)
    contract_id = models.CharField(max_length=36)
    emsp_country_code = models.CharField("eMSP country", max_length=2)
    emsp_party_id = models.CharField("eMSP party", max_length=3)

    # --- CPO side bookkeeping (our own sessions) --------------------------------------------------------------
    own_location = models.ForeignKey(
        "locations.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="charging_sessions"
    )
    own_evse = models.ForeignKey(
        "locations.EVSE", null=True, blank=True, on_delete=models.PROTECT, related_name="charging_sessions"
    )
    own_connector = models.ForeignKey(
        "locations.Connector", null=True, blank=True, on_delete=models.PROTECT, related_name="charging_sessions"
    )
    csms_transaction_id = models.CharField(
        "CSMS transaction id", max_length=100, null=True, blank=True, help_text="Own sessions only"
    )
    emsp_partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The eMSP partner that owns the token: the only one the session is pushed to and shown to",
    )
    meter_start_wh = models.BigIntegerField("meter start (Wh)", null=True, blank=True)
    meter_readings = models.JSONField(
        default=list, blank=True, help_text="[timestamp, cumulative Wh, power W, current A], in time order"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    tariff = models.JSONField(null=True, blank=True, help_text="The connector's tariff at start (OCPI Tariff)")
    announced_periods = models.JSONField(
        default=list, blank=True, help_text="Closed charging periods already pushed to the eMSP"
    )
    next_patch_not_before = models.DateTimeField(
        null=True, blank=True, help_text="Meter updates before this are coalesced into one PATCH"
    )

    # --- eMSP side bookkeeping (received sessions) ------------------------------------------------------------
    token_known = models.BooleanField(
        default=True, help_text="Unticked: the token is not one of our eMSP's tokens (kept and flagged for ops)"
    )

    class Meta:
        ordering = ["-start_date_time", "-pk"]
        verbose_name = "charging session"
        # Session.id is a CiString (types.asciidoc); country_code/party_id are stored upper-case.
        constraints = [
            *partner_object_constraints("session_id", name="uniq_session"),
            models.UniqueConstraint(fields=["csms_transaction_id"], name="uniq_session_csms_transaction"),
        ]
        # Declared here, not as db_index/unique on the fields: on PostgreSQL those add a second, varchar_pattern_ops
        # index to every CharField (for LIKE 'prefix%'), which no query of ours uses and every session write (one a
        # meter reading, never a HOT update) maintains. The admin's search is a contains, which no index serves.
        indexes = [
            models.Index(fields=["emsp_country_code", "emsp_party_id", "last_updated"]),
            models.Index(fields=["country_code", "party_id", "last_updated"]),
            models.Index(fields=["status"], name="session_status"),
            models.Index(fields=["token_uid"], name="session_token_uid"),
            models.Index(fields=["contract_id"], name="session_contract_id"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.session_id}"

    @property
    def is_final(self) -> bool:
        return self.status in (SessionStatus.COMPLETED, SessionStatus.INVALID)
