"""Enumerations of reconciliation runs and their differences."""

from django.db import models


class Module(models.TextChoices):
    LOCATIONS = "locations", "Locations"
    TARIFFS = "tariffs", "Tariffs"
    TOKENS = "tokens", "Tokens"
    SESSIONS = "sessions", "Sessions"
    CDRS = "cdrs", "CDRs"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed (partner unreachable or refused)"


class Kind(models.TextChoices):
    """What disagrees. ``MISSING_HERE``/``MISSING_THERE``/``DIFFERS`` compare our copy of the partner's objects
    with its Sender list; ``SENT_*`` check the CDRs we POSTed at the eMSP's ``Location`` URL; ``*_AT_PARTNER`` check
    our own objects (we own them, the partner has a Receiver) read back from the partner's Receiver; the rest is our
    own completeness."""

    MISSING_HERE = "missing_here", "Missing here (the partner has it, we do not)"
    MISSING_THERE = "missing_there", "Missing there (we have it, the partner's list does not)"
    OUTDATED_HERE = "outdated_here", "Outdated here (the partner has a newer version)"
    DIFFERS = "differs", "Fields differ"
    MISSING_AT_PARTNER = "missing_at_partner", "Ours, missing at the partner (its Receiver does not have it)"
    DIFFERS_AT_PARTNER = "differs_at_partner", "Ours, held differently by the partner"
    SENT_CDR_MISSING = "sent_cdr_missing", "CDR we sent: the eMSP no longer has it"
    SENT_CDR_DIFFERS = "sent_cdr_differs", "CDR we sent: the eMSP holds it differently"
    SENT_CDR_UNCONFIRMED = "sent_cdr_unconfirmed", "CDR we sent: never confirmed by the eMSP"
    SESSION_WITHOUT_CDR = "session_without_cdr", "Completed session without CDR"
    CDR_WITHOUT_SESSION = "cdr_without_session", "CDR without session"
    SESSION_STUCK_ACTIVE = "session_stuck_active", "Session active for too long"


class Action(models.TextChoices):
    """What to do about a difference; ``AUTOMATIC_ACTIONS`` are what a repair run does."""

    FETCH = "fetch", "Fetch the partner's copy and store it"
    REPOST_CDR = "repost_cdr", "POST the CDR to the eMSP again"
    REPUSH = "repush", "PUT our current object to the partner again"
    FULL_PULL = "full_pull", "Run a full pull (removes what the partner no longer lists)"
    REVIEW = "review", "Review by hand"


AUTOMATIC_ACTIONS = frozenset({Action.FETCH, Action.FULL_PULL, Action.REPOST_CDR, Action.REPUSH})


class RepairOutcome(models.TextChoices):
    NONE = "", "Not repaired"
    REPAIRED = "repaired", "Repaired"
    QUEUED = "queued", "Queued in the outbox"
    FAILED = "failed", "Repair failed"
