"""Our CPO's CDRs going out: credit CDRs, corrected CDRs and the POST to the owning eMSP (mod_cdrs.asciidoc,
"Credit CDRs" and "Push model").

* Corrections are never edits: the credit CDR has a new id (the original's with ``-C``), ``credit=true``,
  ``credit_reference_id`` = the original's id and "all the data of the original CDR"; "only the values in the
  ``total_cost`` field SHALL contain the negative amounts" (the spec; the other totals stay as they were). A
  corrected CDR (new id, ``-R``) may follow, re-priced by our engine or with a total cost finance enters. The
  original stays, linked to both.
* A CDR is POSTed to the eMSP owning its token only (the Push model allows that), through the outbox: retried until
  the eMSP confirms, never sent again once confirmed; the ``Location`` it answers is kept with the CDR.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.cdrs.choices import Direction, DisputeState, EventKind, ReviewStatus
from roaming.cdrs.models import COSTS, IMMUTABLE_FIELDS, Cdr, CdrEvent
from roaming.cdrs.ocpi.render import cdr_fields, cdr_to_ocpi
from roaming.cdrs.services.pricecheck import cdr_price_check
from roaming.cdrs.services.receive import cdr_store
from roaming.core.exceptions import InvalidInput, ObjectNotFound, StateConflict
from roaming.ocpi.push import push_enqueue
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import PartnerRole
from roaming.tariffs.ocpi.render import jsonable

logger = logging.getLogger("roaming.cdrs")

MODULE = "cdrs"
CREDIT_SUFFIX = "-C"
CORRECTION_SUFFIX = "-R"


@dataclass(frozen=True)
class Correction:
    """How the corrected CDR is priced: by our engine from the CDR's tariffs (``reprice``) or with a total cost
    entered by hand (then the cost breakdown is left out: it would no longer add up)."""

    reprice: bool = False
    total_cost_excl_vat: Decimal | None = None
    total_cost_incl_vat: Decimal | None = None


def cdr_owner_partner_id(*, token_country_code: str, token_party_id: str) -> int | None:
    """The partner whose eMSP role owns the token (CdrToken country_code/party_id), or None. A partner that
    unregistered keeps its roles on record: the one connected now (the latest registration) is the owner."""
    return (
        PartnerRole.objects.filter(
            role="EMSP", country_code__iexact=token_country_code, party_id__iexact=token_party_id
        )
        .exclude(partner__status=PartnerStatus.UNREGISTERED)
        .order_by("-partner_id")
        .values_list("partner_id", flat=True)
        .first()
    )


def cdr_push_to_owner(*, cdr: Cdr) -> int:
    """Write the POST of ``cdr`` to its eMSP into the outbox (call inside the transaction that stores it)."""
    if cdr.partner_id is None:
        logger.info(
            "CDR %s: no partner owns token party %s/%s, not pushed", cdr, cdr.token_country_code, cdr.token_party_id
        )
        return 0
    return push_enqueue(
        module=MODULE,
        object_key=cdr.object_key,
        method="POST",
        path="",
        body=jsonable(cdr_to_ocpi(cdr)),
        partner_ids=[cdr.partner_id],
    )


def cdr_delivery_confirmed(message, result) -> None:
    """Push-engine listener: the eMSP confirmed a CDR POST; keep the ``Location`` it answered (Response Headers)."""
    if message.method != "POST":
        return
    country_code, party_id, cdr_id = message.object_key.split("/", 2)
    cdr = Cdr.objects.filter(
        direction=Direction.SENT, country_code=country_code, party_id=party_id, cdr_id=cdr_id
    ).first()
    if cdr is None:
        return
    cdr.location_url = (result.headers.get("Location") or "")[:500]
    cdr.confirmed_at = timezone.now()
    cdr.save(update_fields=["location_url", "confirmed_at"])
    CdrEvent.objects.create(cdr=cdr, kind=EventKind.DELIVERED, comment=cdr.location_url or "no Location header")


def _content(cdr: Cdr) -> dict:
    return {
        name: getattr(cdr, name)
        for name in IMMUTABLE_FIELDS
        if name not in ("direction", "partner", "raw", "received_at")
    }


def _new_id(original: Cdr, suffix: str) -> str:
    """The credit CDR's id is the original's with ``-C`` (CDR ids allow 39 characters for that); the corrected CDR,
    a normal CDR, gets ``-R`` when that fits its 36 characters, else a fresh UUID (our session ids are UUIDs)."""
    new_id = f"{original.cdr_id}{suffix}"
    if suffix == CORRECTION_SUFFIX and len(new_id) > 36:
        new_id = str(uuid.uuid4())
    if len(new_id) > 39:
        raise InvalidInput(f"the CDR id {original.cdr_id} is too long to append {suffix}", field="id")
    if Cdr.objects.filter(
        country_code=original.country_code, party_id=original.party_id, cdr_id__iexact=new_id
    ).exists():
        raise StateConflict(f"a CDR {new_id} already exists")
    return new_id


def _corrected_fields(original: Cdr, correction: Correction, now) -> dict:
    fields = {**_content(original), "cdr_id": _new_id(original, CORRECTION_SUFFIX), "last_updated": now}
    if correction.reprice:
        check = cdr_price_check(cdr=cdr_to_ocpi(original), tolerance=Decimal(0))
        if not check.report.get("recomputed"):
            raise InvalidInput(f"our engine cannot price this CDR: {check.report.get('reason')}")
        recomputed = check.report["recomputed"]
        for prefix, _ in COSTS:
            price = recomputed.get(prefix) or {}
            excl, incl = price.get("excl_vat"), price.get("incl_vat")
            keep = prefix == "total_cost" or (excl is not None and Decimal(excl) != 0)
            fields[f"{prefix}_excl_vat"] = Decimal(excl) if keep and excl is not None else None
            fields[f"{prefix}_incl_vat"] = Decimal(incl) if keep and incl is not None else None
        fields["remark"] = f"Corrects CDR {original.cdr_id}: re-priced"
    else:
        if correction.total_cost_excl_vat is None:
            raise InvalidInput("enter the corrected total cost excl. VAT", field="total_cost_excl_vat")
        for prefix, _ in COSTS:
            fields[f"{prefix}_excl_vat"] = fields[f"{prefix}_incl_vat"] = None
        fields["total_cost_excl_vat"] = correction.total_cost_excl_vat
        fields["total_cost_incl_vat"] = correction.total_cost_incl_vat
        fields["remark"] = f"Corrects CDR {original.cdr_id}"
    return fields


def cdr_credit(*, cdr_pk: int, user, comment: str, correction: Correction | None = None) -> tuple[Cdr, Cdr | None]:
    """Credit one of our CDRs, optionally issue its corrected CDR, and push both to the eMSP. Returns (credit,
    corrected or None)."""
    if not comment.strip():
        raise InvalidInput("say why the CDR is credited", field="comment")
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        original = Cdr.objects.select_for_update().filter(pk=cdr_pk).first()
        if original is None:
            raise ObjectNotFound("Unknown CDR")
        if original.direction != Direction.SENT:
            raise StateConflict("Only our own CDRs can be credited here; ask the CPO for a credit CDR")
        if original.credit:
            raise StateConflict("A credit CDR cannot be credited")
        if original.credit_cdrs.exists():
            raise StateConflict("This CDR has already been credited")
        credit_fields = {
            **_content(original),
            "cdr_id": _new_id(original, CREDIT_SUFFIX),
            "credit": True,
            "credit_reference_id": original.cdr_id,
            "total_cost_excl_vat": -original.total_cost_excl_vat,
            "total_cost_incl_vat": None if original.total_cost_incl_vat is None else -original.total_cost_incl_vat,
            "last_updated": now,
        }
        corrected_fields = _corrected_fields(original, correction, now) if correction else None
        credit = cdr_store(
            fields=credit_fields,
            direction=Direction.SENT,
            partner_id=original.partner_id,
            user=user,
            event=EventKind.CREATED,
            comment=comment,
            links={"credited_cdr": original},
        )
        corrected = None
        if corrected_fields is not None:
            corrected = cdr_store(
                fields=corrected_fields,
                direction=Direction.SENT,
                partner_id=original.partner_id,
                user=user,
                event=EventKind.CREATED,
                comment=comment,
                links={"corrects": original},
            )
        original.review_status = ReviewStatus.CREDITED
        if original.dispute_state == DisputeState.OPEN:
            original.dispute_state = DisputeState.CREDITED
        original.save(update_fields=["review_status", "dispute_state"])
        note = f"credit CDR {credit.cdr_id}" + (f", corrected CDR {corrected.cdr_id}" if corrected else "")
        CdrEvent.objects.create(cdr=original, kind=EventKind.CREDITED, user=user, comment=f"{comment} ({note})")
        for cdr in (credit, corrected):
            if cdr is not None:
                cdr_push_to_owner(cdr=cdr)
    return credit, corrected


def cdr_create_own(*, data, user=None) -> Cdr:
    """Store a CDR of our CPO (validated OCPI data, ``validate_cdr``, under our country_code/party_id) and POST it
    to the eMSP owning its token. Where completed sessions become CDRs, this is the call that stores and sends them."""
    fields = cdr_fields(data)
    if (fields["country_code"], fields["party_id"]) != (settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID):
        raise InvalidInput("our CDRs carry our own country_code/party_id", field="country_code/party_id")
    with transaction.atomic():
        if Cdr.objects.filter(
            country_code=fields["country_code"], party_id=fields["party_id"], cdr_id__iexact=fields["cdr_id"]
        ).exists():
            raise StateConflict(f"a CDR {fields['cdr_id']} already exists")
        owner = cdr_owner_partner_id(
            token_country_code=fields["token_country_code"], token_party_id=fields["token_party_id"]
        )
        cdr = cdr_store(fields=fields, direction=Direction.SENT, partner_id=owner, user=user, event=EventKind.CREATED)
        cdr_push_to_owner(cdr=cdr)
    return cdr
