"""Writes of the cdrs module (services write, selectors read): receive and quarantine (eMSP side), our CDRs,
credits and pushes (CPO side), the price check, and finance's disputes."""

from roaming.cdrs.services.credit import (
    Correction,
    cdr_create_own,
    cdr_credit,
    cdr_delivery_confirmed,
    cdr_owner_partner_id,
    cdr_push_to_owner,
)
from roaming.cdrs.services.pricecheck import PriceCheckResult, cdr_price_check
from roaming.cdrs.services.receive import (
    cdr_quarantine,
    cdr_receive_from_partner,
    cdr_store,
    cdrs_ingest_page,
    quarantine_accept,
    quarantine_discard,
)
from roaming.cdrs.services.review import cdr_dispute_open, cdr_dispute_resolve, review_status

__all__ = [
    "Correction",
    "PriceCheckResult",
    "cdr_create_own",
    "cdr_credit",
    "cdr_delivery_confirmed",
    "cdr_dispute_open",
    "cdr_dispute_resolve",
    "cdr_owner_partner_id",
    "cdr_price_check",
    "cdr_push_to_owner",
    "cdr_quarantine",
    "cdr_receive_from_partner",
    "cdr_store",
    "cdrs_ingest_page",
    "quarantine_accept",
    "quarantine_discard",
    "review_status",
]
