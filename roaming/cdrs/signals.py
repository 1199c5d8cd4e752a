"""The cdrs module listens to the sessions module (which knows nothing of CDRs): when one of our sessions is created
its location is snapshot; when it completes, its CDR is created in the same transaction, so a completed session
without a CDR cannot be committed unnoticed (a failure is logged and ``create_missing_cdrs`` repairs it)."""

import logging

from django.db import transaction
from django.db.models.signals import post_save

logger = logging.getLogger("roaming.cdrs")


def on_session_saved(sender, instance, created, **kwargs):
    from roaming.cdrs.services.from_session import cdr_create_from_session, session_location_snapshot_take

    if instance.source_partner_id is not None or kwargs.get("raw"):
        return
    if created:
        session_location_snapshot_take(session=instance)
    if instance.status == "COMPLETED":
        try:
            with transaction.atomic():
                cdr_create_from_session(session=instance)
        except Exception:  # the session's own write must stand; the CDR is created again by create_missing_cdrs
            logger.exception("no CDR could be created for session %s", instance)


def connect() -> None:
    post_save.connect(on_session_saved, sender="charging_sessions.ChargingSession", dispatch_uid="cdrs-on-session")
