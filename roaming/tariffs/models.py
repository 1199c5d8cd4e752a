"""Tariffs (mod_tariffs.asciidoc, "Tariff Object").

One table holds both our own tariffs (CPO side: ``source_partner`` is empty, country_code/party_id are ours) and the
tariffs CPO partners pushed to us or we pulled (eMSP side). The nested classes (TariffElement with its
PriceComponents and TariffRestrictions, DisplayText, EnergyMix) are stored as the JSON the spec defines, already
validated by ``roaming.tariffs.ocpi.serializers``; numbers inside ``elements`` are kept as decimal strings so that
prices never pass through a float. ``min_price``/``max_price`` (Price class, types.asciidoc) are columns.

``last_updated`` is the OCPI timestamp (the data owner's claim); ``updated_at`` is our own clock.
"""

from django.db import models

from roaming.ocpi.kit.models import PartnerObject, partner_object_constraints
from roaming.tariffs.choices import TariffType

# Price columns: 6 decimals hold OCPI's 4 (types.asciidoc, number) with room to spare.
MONEY = {"max_digits": 18, "decimal_places": 6, "null": True, "blank": True}


class Tariff(PartnerObject):
    """An OCPI Tariff: an ordered list of TariffElements plus currency, type, validity window and price bounds."""

    OBJECT_ID_FIELD = "tariff_id"

    tariff_id = models.CharField("id", max_length=36)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR")
    type = models.CharField(
        max_length=20,
        choices=TariffType.choices,
        blank=True,
        help_text="Empty: valid for all sessions (mod_tariffs.asciidoc, TariffType)",
    )
    tariff_alt_text = models.JSONField(default=list, blank=True, help_text="List of DisplayText")
    tariff_alt_url = models.URLField(max_length=255, blank=True)
    min_price_excl_vat = models.DecimalField("min price excl. VAT", **MONEY)
    min_price_incl_vat = models.DecimalField("min price incl. VAT", **MONEY)
    max_price_excl_vat = models.DecimalField("max price excl. VAT", **MONEY)
    max_price_incl_vat = models.DecimalField("max price incl. VAT", **MONEY)
    elements = models.JSONField(default=list, help_text="List of TariffElement, validated, numbers as strings")
    start_date_time = models.DateTimeField(null=True, blank=True)
    end_date_time = models.DateTimeField(null=True, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A complete pull of the CPO's tariffs no longer returned it: it prices no session started since "
        "(kept for the sessions and CDRs that used it; cleared if the CPO sends it again)",
    )

    class Meta:
        ordering = ["country_code", "party_id", "tariff_id"]
        # Tariff.id is a CiString (types.asciidoc): "T1" and "t1" are one tariff.
        constraints = partner_object_constraints("tariff_id", name="uniq_tariff")
        indexes = [models.Index(fields=["country_code", "party_id", "last_updated"])]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.tariff_id}"
