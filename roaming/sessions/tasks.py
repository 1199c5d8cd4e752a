"""Celery tasks of the sessions module: thin, they call a service."""

from celery import shared_task

from roaming.sessions.services.announce import session_resync


@shared_task(name="sessions.resync")
def session_resync_task(partner_id: int, object_key: str) -> str:
    """GET-then-PUT of one session after a PATCH the eMSP refused or never acknowledged."""
    return session_resync(partner_id=partner_id, object_key=object_key)
