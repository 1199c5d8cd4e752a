"""Enums of the cdrs module: OCPI's own (mod_cdrs.asciidoc, "Data types"; values are the wire strings) and our
bookkeeping of CDRs (direction, review, quarantine)."""

from django.db import models


class AuthMethod(models.TextChoices):
    """mod_cdrs.asciidoc, AuthMethod enum."""

    AUTH_REQUEST = "AUTH_REQUEST", "Authorization request to the eMSP"
    COMMAND = "COMMAND", "Command (StartSession / ReserveNow)"
    WHITELIST = "WHITELIST", "Whitelist"


class CdrDimensionType(models.TextChoices):
    """mod_cdrs.asciidoc (2.2.1), CdrDimensionType enum; CURRENT, ENERGY_EXPORT, ENERGY_IMPORT, POWER and
    STATE_OF_CHARGE are meant for Session charging periods but a CDR carrying them is not wrong enough to refuse."""

    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


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
