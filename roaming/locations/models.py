"""Locations, EVSEs and Connectors (mod_locations.asciidoc, "Object description").

One set of tables holds both our own data (CPO side: ``source_partner`` is empty, country_code/party_id are ours)
and what partners sent us (eMSP side: ``source_partner`` is the CPO partner). Rows are told apart by
country_code/party_id, which the OCPI core's party check guards.

Scalar fields a query filters or sorts on are columns; nested OCPI classes (Hours, EnergyMix, Image, DisplayText,
BusinessDetails, ...) are stored as the JSON the spec defines, already validated by the serializers.

``last_updated`` is the OCPI timestamp (the data owner's claim; for our own data we set it and bump the parents'
whenever a child changes, as the spec requires); ``updated_at`` is our own clock.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Replace, Trim, Upper

from roaming.core.models import TimeStampedModel
from roaming.locations.choices import ConnectorFormat, ConnectorType, ParkingType, PowerType, Status
from roaming.ocpi.kit.models import PartnerObject, partner_object_constraints


class Location(PartnerObject):
    """An OCPI Location: a site with one or more EVSEs."""

    OBJECT_ID_FIELD = "location_id"

    location_id = models.CharField("id", max_length=36)
    publish = models.BooleanField(default=True)
    publish_allowed_to = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=45)
    postal_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=45, blank=True)
    country = models.CharField(max_length=3, help_text="ISO 3166-1 alpha-3")
    latitude = models.CharField(max_length=10)
    longitude = models.CharField(max_length=11)
    related_locations = models.JSONField(default=list, blank=True)
    parking_type = models.CharField(max_length=20, choices=ParkingType.choices, blank=True)
    directions = models.JSONField(default=list, blank=True)
    operator = models.JSONField(null=True, blank=True)
    suboperator = models.JSONField(null=True, blank=True)
    owner = models.JSONField(null=True, blank=True)
    facilities = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=255, default="UTC")
    opening_times = models.JSONField(null=True, blank=True)
    charging_when_closed = models.BooleanField(null=True, blank=True)
    images = models.JSONField(default=list, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["country_code", "party_id", "location_id"]
        constraints = partner_object_constraints("location_id", name="uniq_location")
        indexes = [models.Index(fields=["country_code", "party_id", "last_updated"])]

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id} {self.location_id} {self.name}".strip()


class EVSE(TimeStampedModel):
    """An OCPI EVSE. ``uid`` is the stable technical id; ``evse_id`` the public eMI3 id; ``internal_id`` the
    operator's own charger id in its CSMS (our mapping, never sent over OCPI)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="evses")
    uid = models.CharField(max_length=36)
    evse_id = models.CharField(max_length=48, blank=True, db_index=True)
    internal_id = models.CharField(
        max_length=100, null=True, blank=True, unique=True, help_text="Charger id in our CSMS (own EVSEs only)"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNKNOWN)
    status_schedule = models.JSONField(default=list, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    floor_level = models.CharField(max_length=4, blank=True)
    latitude = models.CharField(max_length=10, blank=True)
    longitude = models.CharField(max_length=11, blank=True)
    physical_reference = models.CharField(max_length=16, blank=True)
    directions = models.JSONField(default=list, blank=True)
    parking_restrictions = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True)
    last_updated = models.DateTimeField()
    received = models.BooleanField(
        default=False, editable=False, help_text="Sent by a partner (its Location's source); ours otherwise"
    )

    class Meta:
        ordering = ["location", "uid"]
        verbose_name = "EVSE"
        verbose_name_plural = "EVSEs"
        constraints = [
            # EVSE.uid is a CiString (types.asciidoc); the case-sensitive twin is the ON CONFLICT arbiter of upserts.
            models.UniqueConstraint(F("location"), Upper("uid"), name="uniq_evse_uid_ci"),
            models.UniqueConstraint(fields=["location", "uid"], name="uniq_evse_uid"),
            # Our own EVSE IDs are unique in their normalised form (evse_id.evse_id_key: upper-case, no "*"), as
            # eMI3 requires of an operator; partners' EVSEs are theirs to get right.
            models.UniqueConstraint(
                Replace(Upper(Trim("evse_id")), models.Value("*"), models.Value("")),
                condition=Q(received=False) & ~Q(evse_id=""),
                name="uniq_own_evse_id",
            ),
        ]

    def __str__(self) -> str:
        return self.evse_id or self.uid


class Connector(TimeStampedModel):
    """An OCPI Connector; ``connector_id`` is unique within its EVSE only."""

    evse = models.ForeignKey(EVSE, on_delete=models.CASCADE, related_name="connectors")
    connector_id = models.CharField("id", max_length=36)
    standard = models.CharField(max_length=32, choices=ConnectorType.choices)
    format = models.CharField(max_length=6, choices=ConnectorFormat.choices)
    power_type = models.CharField(max_length=16, choices=PowerType.choices)
    max_voltage = models.PositiveIntegerField()
    max_amperage = models.PositiveIntegerField()
    max_electric_power = models.PositiveIntegerField(null=True, blank=True)
    tariff_ids = models.JSONField(default=list, blank=True)
    terms_and_conditions = models.URLField(max_length=255, blank=True)
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["evse", "connector_id"]
        constraints = [
            models.UniqueConstraint(F("evse"), Upper("connector_id"), name="uniq_connector_id_ci"),
            models.UniqueConstraint(fields=["evse", "connector_id"], name="uniq_connector_id"),
        ]

    def __str__(self) -> str:
        return f"{self.evse} #{self.connector_id}"
