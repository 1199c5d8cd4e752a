"""Charge Detail Records (mod_cdrs.asciidoc, "CDR Object") in both roles, and finance's bookkeeping of them.

One table holds our CPO's CDRs (``direction=sent``) and the CDRs CPO partners POST to our eMSP
(``direction=received``). The OCPI content of a CDR is **immutable once stored** ("Because a CDR is for billing
purposes, it cannot be changed or replaced once sent", Flow and Lifecycle): ``Cdr.save`` refuses to rewrite it and a
database trigger (migration ``0002_cdr_immutable_trigger``) refuses any UPDATE of those columns and any DELETE, so
neither a bug nor a hand-written SQL statement can alter an invoice line. Corrections are credit CDRs.

What stays writable is ours: the review state, the price check, the delivery receipt (the ``Location`` the eMSP
answered) and the links between an original and its credit/corrected CDRs.

Nested classes (CdrToken, CdrLocation, Tariff, ChargingPeriod, SignedData) are stored as the validated JSON the
spec defines; the columns used for filtering and totals (token party, country, money) are copied out of them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper

from roaming.cdrs.choices import (
    AuthMethod,
    Direction,
    DisputeState,
    EventKind,
    PriceCheck,
    QuarantineStatus,
    ReviewStatus,
)
from roaming.core.models import TimeStampedModel

MONEY = {"max_digits": 18, "decimal_places": 6, "null": True, "blank": True}
VOLUME = {"max_digits": 18, "decimal_places": 6}

#: (prefix, label) of the Price pairs of a CDR (mod_cdrs.asciidoc, CDR object: total_cost and its parts)
COSTS = (
    ("total_cost", "total cost"),
    ("total_fixed_cost", "fixed cost"),
    ("total_energy_cost", "energy cost"),
    ("total_time_cost", "time cost"),
    ("total_parking_cost", "parking cost"),
    ("total_reservation_cost", "reservation cost"),
)


def _money_fields() -> dict:
    fields = {}
    for prefix, label in COSTS:
        fields[f"{prefix}_excl_vat"] = models.DecimalField(f"{label} excl. VAT", **MONEY)
        fields[f"{prefix}_incl_vat"] = models.DecimalField(f"{label} incl. VAT", **MONEY)
    return fields


class CdrContent(models.Model):
    """The OCPI fields of a CDR (mod_cdrs.asciidoc, CDR object), 2.2.1 with its errata."""

    country_code = models.CharField(max_length=2, help_text="Owning CPO")
    party_id = models.CharField(max_length=3, help_text="Owning CPO")
    cdr_id = models.CharField("id", max_length=39)
    start_date_time = models.DateTimeField()
    end_date_time = models.DateTimeField()
    session_id = models.CharField(max_length=36, blank=True)
    cdr_token = models.JSONField(help_text="CdrToken")
    auth_method = models.CharField(max_length=16, choices=AuthMethod.choices)
    authorization_reference = models.CharField(max_length=36, blank=True)
    cdr_location = models.JSONField(help_text="CdrLocation, as the location was at session start")
    meter_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    tariffs = models.JSONField(default=list, blank=True, help_text="The Tariffs as they applied")
    charging_periods = models.JSONField(default=list, blank=True)
    signed_data = models.JSONField(null=True, blank=True)
    total_cost_excl_vat = models.DecimalField("total cost excl. VAT", max_digits=18, decimal_places=6)
    total_cost_incl_vat = models.DecimalField("total cost incl. VAT", **MONEY)
    total_fixed_cost_excl_vat = models.DecimalField("fixed cost excl. VAT", **MONEY)
    total_fixed_cost_incl_vat = models.DecimalField("fixed cost incl. VAT", **MONEY)
    total_energy = models.DecimalField("total energy (kWh)", **VOLUME)
    total_energy_cost_excl_vat = models.DecimalField("energy cost excl. VAT", **MONEY)
    total_energy_cost_incl_vat = models.DecimalField("energy cost incl. VAT", **MONEY)
    total_time = models.DecimalField("total time (h)", **VOLUME)
    total_time_cost_excl_vat = models.DecimalField("time cost excl. VAT", **MONEY)
    total_time_cost_incl_vat = models.DecimalField("time cost incl. VAT", **MONEY)
    total_parking_time = models.DecimalField("parking time (h)", null=True, blank=True, **VOLUME)
    total_parking_cost_excl_vat = models.DecimalField("parking cost excl. VAT", **MONEY)
    total_parking_cost_incl_vat = models.DecimalField("parking cost incl. VAT", **MONEY)
    total_reservation_cost_excl_vat = models.DecimalField("reservation cost excl. VAT", **MONEY)
    total_reservation_cost_incl_vat = models.DecimalField("reservation cost incl. VAT", **MONEY)
    remark = models.CharField(max_length=255, blank=True)
    invoice_reference_id = models.CharField(max_length=39, blank=True)
    credit = models.BooleanField(default=False)
    credit_reference_id = models.CharField(max_length=39, blank=True)
    home_charging_compensation = models.BooleanField(null=True, blank=True)
    last_updated = models.DateTimeField(db_index=True)
    # Copied out of cdr_token / cdr_location for isolation and filters (part of the immutable content).
    token_country_code = models.CharField(max_length=2, help_text="eMSP owning the token")
    token_party_id = models.CharField(max_length=3, help_text="eMSP owning the token")
    location_country = models.CharField(max_length=3, help_text="ISO 3166-1 alpha-3")

    class Meta:
        abstract = True


#: columns nobody may change once a CDR is stored (the trigger of migration 0002 lists the same)
IMMUTABLE_FIELDS = (*(f.name for f in CdrContent._meta.local_fields), "direction", "partner", "raw", "received_at")


class Cdr(CdrContent, TimeStampedModel):
    """A CDR, ours or a CPO partner's, with finance's review of it (see the module docstring)."""

    direction = models.CharField(max_length=8, choices=Direction.choices, db_index=True)
    partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Received: the CPO that sent it. Sent: the eMSP that owns the token (and gets the CDR).",
    )
    received_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(null=True, blank=True, help_text="The payload as the CPO sent it")
    ocpi_json = models.TextField(
        null=True,
        blank=True,
        editable=False,
        help_text="The CDR object as we render it (OCPI JSON), written once when the CDR is stored",
    )

    # --- ours, writable -----------------------------------------------------------------------------------------
    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OK, db_index=True
    )
    price_check = models.CharField(max_length=10, choices=PriceCheck.choices, default=PriceCheck.UNCHECKED)
    price_difference = models.DecimalField(
        "price difference", help_text="Our total cost excl. VAT minus the CDR's", **MONEY
    )
    price_check_report = models.JSONField(null=True, blank=True, help_text="Our recomputation beside the CDR's")
    dispute_state = models.CharField(max_length=10, choices=DisputeState.choices, default="", blank=True)
    accepted_by_hand = models.BooleanField(default=False, help_text="Accepted from quarantine after review")
    location_url = models.URLField(
        "Location URL", max_length=500, blank=True, help_text="Where the eMSP stored our CDR (POST answer)"
    )
    confirmed_at = models.DateTimeField("confirmed by the eMSP", null=True, blank=True)
    credited_cdr = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_cdrs",
        help_text="For a credit CDR: the CDR it credits",
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_cdrs",
        help_text="For a corrected CDR: the CDR it replaces",
    )

    #: what services may write after creation
    MUTABLE_FIELDS = frozenset(
        {
            "review_status",
            "price_check",
            "price_difference",
            "price_check_report",
            "dispute_state",
            "accepted_by_hand",
            "location_url",
            "confirmed_at",
            "credited_cdr",
            "corrects",
            "updated_at",
        }
    )

    class Meta:
        verbose_name = "CDR"
        verbose_name_plural = "CDRs"
        ordering = ["-start_date_time", "-id"]
        constraints = [
            # CDR.id is a CiString unique per CPO (mod_cdrs.asciidoc, CDR object, id).
            models.UniqueConstraint(F("country_code"), F("party_id"), Upper("cdr_id"), name="uniq_cdr"),
            models.CheckConstraint(
                condition=models.Q(credit=False) | ~models.Q(credit_reference_id=""), name="cdr_credit_has_reference"
            ),
        ]
        indexes = [
            models.Index(fields=["direction", "start_date_time"]),
            models.Index(fields=["token_country_code", "token_party_id", "last_updated"]),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.cdr_id}"

    def save(self, *args, **kwargs):
        """Insert once; afterwards only our bookkeeping (``MUTABLE_FIELDS``) may be written, by name."""
        if self.pk is not None and not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= self.MUTABLE_FIELDS:
                raise ValidationError("A stored CDR is immutable: credit it instead of changing it")
            kwargs["update_fields"] = {*fields, "updated_at"}
            super().save(*args, **kwargs)
            return
        super().save(*args, **kwargs)
        if self.direction == Direction.SENT:
            self._store_ocpi_json()

    def _store_ocpi_json(self) -> None:
        """Render one of our CDRs once (it never changes), from the row as the database holds it (jsonb key order,
        numeric scale), so the Sender list serves a page without building a dict per CDR. Once set, the database
        refuses to change it (trigger of migration 0005). Received CDRs are not served in lists: their POST does
        not pay for it."""
        from roaming.cdrs.ocpi.render import cdr_ocpi_json  # the renderer imports this module

        self.ocpi_json = cdr_ocpi_json(type(self).objects.get(pk=self.pk))
        type(self).objects.filter(pk=self.pk).update(ocpi_json=self.ocpi_json)

    def delete(self, *args, **kwargs):
        raise ValidationError("A CDR is never deleted: credit it instead")

    @property
    def object_key(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.cdr_id}"


class CdrEvent(models.Model):
    """One line of a CDR's history: who did what, when, and why (disputes, credits, accepts by hand)."""

    cdr = models.ForeignKey(Cdr, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "CDR history entry"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.user or 'the system'}"


class QuarantinedCdr(TimeStampedModel):
    """A CDR a CPO partner sent that breaks the spec: answered 2001 naming the problems, and kept here, raw, until
    finance accepts it by hand, discards it, or the CPO's corrected resend releases it ("quarantine, not loss")."""

    partner = models.ForeignKey(settings.OCPI_PARTNER_MODEL, on_delete=models.PROTECT, related_name="+")
    country_code = models.CharField(max_length=2, blank=True)
    party_id = models.CharField(max_length=3, blank=True)
    cdr_id = models.CharField("id", max_length=255, blank=True, db_index=True)
    raw = models.JSONField(help_text="The payload as the CPO sent it")
    problems = models.JSONField(default=list, help_text="What breaks the spec, one line each")
    status = models.CharField(
        max_length=10, choices=QuarantineStatus.choices, default=QuarantineStatus.HELD, db_index=True
    )
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_comment = models.TextField(blank=True)
    stored_cdr = models.ForeignKey(
        Cdr,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quarantine_entries",
        help_text="What it became",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "quarantined CDR"
        verbose_name_plural = "quarantined CDRs"

    def __str__(self) -> str:
        return f"{self.country_code or '?'}/{self.party_id or '?'} {self.cdr_id or '(no id)'}"


class SessionLocationSnapshot(models.Model):
    """The CdrLocation of one of our sessions as it was when the session started (mod_cdrs.asciidoc, CDR object:
    "Location, EVSE, Tariffs and Token as they were *at the start*"): a street renamed mid-session does not change
    the invoice."""

    session = models.OneToOneField(
        "charging_sessions.ChargingSession", on_delete=models.CASCADE, related_name="cdr_location_snapshot"
    )
    cdr_location = models.JSONField(help_text="CdrLocation")
    taken_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"location of session {self.session_id} at start"
