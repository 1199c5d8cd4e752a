"""The model mixin of partner-owned objects (transport_and_format.asciidoc, "Client Owned Object Push").

Every object a party owns and sends us (Location, Tariff, Token, Session, CDR) is addressed by
``{country_code}/{party_id}/{id}``; ``id`` is a CiString (types.asciidoc), so ``LOC1`` and ``loc1`` are one object.
``PartnerObject`` holds what is the same for all of them: the owner's party, its ``last_updated`` claim, and our
bookkeeping of who sent it when, with the payload as sent. The id column keeps its module's name
(``location_id``, ``tariff_id``, ...): a module names it in ``OBJECT_ID_FIELD`` and adds
``partner_object_constraints(...)`` to its ``Meta.constraints``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper

from roaming.core.models import TimeStampedModel


def partner_object_constraints(id_field: str, *, name: str) -> list[models.UniqueConstraint]:
    """The uniqueness of ``(country_code, party_id, id)``, case-insensitive on the id (CiString), enforced by
    PostgreSQL. ``{name}_ci`` is the rule; ``name`` (the same columns, case-sensitive, implied by the first) is the
    arbiter ``INSERT ... ON CONFLICT`` needs for batched upserts, which always write the spelling already held."""
    return [
        models.UniqueConstraint(F("country_code"), F("party_id"), Upper(id_field), name=f"{name}_ci"),
        models.UniqueConstraint(fields=["country_code", "party_id", id_field], name=name),
    ]


class PartnerObject(TimeStampedModel):
    """Abstract base of an object owned by a party: ours (``source_partner`` empty, our country_code/party_id) or
    a partner's, as it sent it. ``country_code``/``party_id`` are stored upper-case."""

    #: the model field holding the object's OCPI ``id`` (a CiString, unique per party)
    OBJECT_ID_FIELD = "object_id"

    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    last_updated = models.DateTimeField(db_index=True, help_text="The owner's timestamp of this version")
    source_partner = models.ForeignKey(
        settings.OCPI_PARTNER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for our own objects; the partner that sent the ones we received.",
    )
    received_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(null=True, blank=True, help_text="The last payload the partner sent, as sent")

    class Meta:
        abstract = True

    @property
    def is_own(self) -> bool:
        return self.source_partner_id is None

    @property
    def object_id(self) -> str:
        return getattr(self, self.OBJECT_ID_FIELD)

    @property
    def object_key(self) -> str:
        """``{country_code}/{party_id}/{id}``: the Receiver URL tail and the push ordering key."""
        return f"{self.country_code}/{self.party_id}/{self.object_id}"
