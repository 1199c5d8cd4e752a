"""Celery tasks for partner onboarding: thin wrappers that load the partner and call a service.

A failed handshake is an expected outcome (recorded as a partner event), not a crash, so the domain errors are
caught and reported instead of retried: a registration token is single-use and the partner must act first.
"""

import logging

from celery import shared_task

from roaming.core.exceptions import DomainError
from roaming.partners import services
from roaming.partners.models import Partner

logger = logging.getLogger("roaming.partners")


def _run(service, partner_id: int) -> str:
    partner = Partner.objects.get(pk=partner_id)
    try:
        service(partner=partner)
    except DomainError as exc:
        logger.warning("%s for partner %s failed: %s", service.__name__, partner_id, exc.message)
        return f"failed: {exc.message}"
    return "ok"


@shared_task(name="partners.register")
def partner_register_task(partner_id: int) -> str:
    return _run(services.partner_register_outbound, partner_id)


@shared_task(name="partners.rotate_credentials")
def partner_rotate_credentials_task(partner_id: int) -> str:
    return _run(services.partner_rotate_credentials, partner_id)


@shared_task(name="partners.unregister")
def partner_unregister_task(partner_id: int) -> str:
    return _run(services.partner_unregister, partner_id)


@shared_task(name="partners.refresh_endpoints")
def partner_refresh_endpoints_task(partner_id: int) -> str:
    return _run(services.partner_refresh_endpoints, partner_id)
