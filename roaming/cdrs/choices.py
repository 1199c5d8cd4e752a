"""Enums of the cdrs module: OCPI's own (mod_cdrs.asciidoc, "Data types"; values are the wire strings) and our
bookkeeping of CDRs (direction, review, quarantine)."""

from django.db import models

# Shared with other modules, defined once in roaming.ocpi; re-exported so imports keep working.
from roaming.ocpi.choices import AuthMethod as AuthMethod
from roaming.ocpi.choices import CdrDimensionType as CdrDimensionType


class Direction(models.TextChoices):
    """Which way a CDR travelled: ours (CPO side, sent to the eMSP) or a CPO partner's (eMSP side, received)."""

    SENT = "sent", "Sent (our CPO)"
    RECEIVED = "received", "Received (from a CPO)"


class ReviewStatus(models.TextChoices):
    """Finance's view of a CDR. ``flagged``: our recomputation disagrees beyond the tolerance; ``disputed``: a
    dispute is open; ``credited``: a credit CDR cancels it."""

    OK = "ok", "OK"
    FLAGGED = "flagged", "Flagged"
    DISPUTED = "disputed", "Disputed"
    CREDITED = "credited", "Credited"


class PriceCheck(models.TextChoices):
    """Outcome of re-pricing a CDR with our engine."""

    MATCH = "match", "Matches our price"
    MISMATCH = "mismatch", "Differs from our price"
    UNCHECKED = "unchecked", "Not checkable"


class DisputeState(models.TextChoices):
    NONE = "", "No dispute"
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Resolved: accepted"
    CREDITED = "credited", "Resolved: credited"


class EventKind(models.TextChoices):
    """One entry of a CDR's history."""

    RECEIVED = "received", "Received"
    CREATED = "created", "Created"
    PRICE_FLAGGED = "price_flagged", "Flagged by the price check"
    ACCEPTED_BY_HAND = "accepted_by_hand", "Accepted by hand from quarantine"
    DISPUTE_OPENED = "dispute_opened", "Dispute opened"
    DISPUTE_ACCEPTED = "dispute_accepted", "Dispute resolved: accepted"
    DISPUTE_CREDITED = "dispute_credited", "Dispute resolved: credited"
    CREDITED = "credited", "Credited"
    DELIVERED = "delivered", "Confirmed by the eMSP"


class QuarantineStatus(models.TextChoices):
    HELD = "held", "Held for review"
    ACCEPTED = "accepted", "Accepted by hand"
    DISCARDED = "discarded", "Discarded"
    RELEASED = "released", "Released by a corrected resend"
