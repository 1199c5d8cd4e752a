"""Writes of CDRs we receive as eMSP (mod_cdrs.asciidoc, Receiver Interface "POST Method"), and the quarantine.

* A CDR is stored once, immutably, with the payload as sent, re-priced on arrival (``cdr_price_check``) and
  committed before the view answers: nothing accepted is ever lost.
* A repeated POST of the CDR we hold is a success that stores nothing (a CPO retrying after a lost answer);
  a different CDR under an id we hold is refused: "it cannot be changed or replaced once sent" (Flow and
  Lifecycle), corrections are credit CDRs.
* A CDR breaking the spec is answered 2001 by the view and kept here, raw, with its problems: finance accepts it by
  hand (who, why) or discards it; the CPO's corrected resend of the same id releases it.
* A credit CDR is linked to the CDR it credits when we hold that one, which then reads as credited.
"""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.cdrs.choices import Direction, EventKind, PriceCheck, QuarantineStatus, ReviewStatus
from roaming.cdrs.models import Cdr, CdrEvent, QuarantinedCdr
from roaming.cdrs.ocpi.render import cdr_fields, cdr_to_ocpi
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.cdrs.services.pricecheck import cdr_price_check
from roaming.core.exceptions import InvalidInput, ObjectNotFound, StateConflict
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.kit.receive import ReceiveResult, WriteOutcome, check_partner_party, storable

logger = logging.getLogger("roaming.cdrs")


def _check_party(partner_id: int, fields: Mapping) -> None:
    check_partner_party(partner_id, fields["country_code"], fields["party_id"], role="CPO")


def _held(fields: Mapping, *, lock: bool = False) -> Cdr | None:
    queryset = Cdr.objects.filter(
        country_code=fields["country_code"], party_id=fields["party_id"], cdr_id__iexact=fields["cdr_id"]
    )
    return (queryset.select_for_update() if lock else queryset).first()


def _same(cdr: Cdr, fields: Mapping) -> bool:
    return all(getattr(cdr, name) == value for name, value in fields.items() if name != "cdr_id") and (
        cdr.cdr_id.upper() == fields["cdr_id"].upper()
    )


def cdr_store(
    *,
    fields: Mapping,
    direction: str,
    partner_id: int | None,
    raw=None,
    user=None,
    event: str = EventKind.RECEIVED,
    comment: str = "",
    accepted_by_hand: bool = False,
    links: Mapping | None = None,
) -> Cdr:
    """Insert one CDR (model field values ``fields``) with its price check, history entry and links; call inside a
    transaction. A received credit CDR is linked to the CDR it credits when we hold it."""
    now = timezone.now()
    cdr = Cdr(
        **fields,
        direction=direction,
        partner_id=partner_id,
        raw=raw,
        received_at=now if direction == Direction.RECEIVED else None,
        accepted_by_hand=accepted_by_hand,
        **(links or {}),
    )
    check = cdr_price_check(cdr=cdr_to_ocpi(cdr)) if direction == Direction.RECEIVED else None
    if check is not None:
        cdr.price_check, cdr.price_difference, cdr.price_check_report = check.status, check.difference, check.report
        if check.status == PriceCheck.MISMATCH:
            cdr.review_status = ReviewStatus.FLAGGED
    if cdr.credit and cdr.credited_cdr_id is None:
        cdr.credited_cdr = _held({**fields, "cdr_id": cdr.credit_reference_id})
    cdr.save()
    CdrEvent.objects.create(cdr=cdr, kind=event, user=user, comment=comment)
    if cdr.price_check == PriceCheck.MISMATCH:
        CdrEvent.objects.create(
            cdr=cdr, kind=EventKind.PRICE_FLAGGED, comment=f"total cost differs by {cdr.price_difference}"
        )
    if direction == Direction.RECEIVED and cdr.credited_cdr is not None:
        # The CPO credited a CDR we hold (ours are marked by ``cdr_credit``, with who and why).
        cdr.credited_cdr.review_status = ReviewStatus.CREDITED
        cdr.credited_cdr.save(update_fields=["review_status"])
        CdrEvent.objects.create(cdr=cdr.credited_cdr, kind=EventKind.CREDITED, comment=f"by {cdr.cdr_id}")
    return cdr


def cdr_receive_from_partner(
    *, partner_id: int, data: Mapping, raw=None, party_checked: bool = False, **_url
) -> ReceiveResult:
    """Store a CDR a CPO partner POSTed (validated by ``validate_cdr``): ``CREATED``, or ``UNCHANGED`` for the very
    CDR we hold (``ReceiveResult.obj`` is the stored CDR either way; the kit's POST service signature).

    Raises ``InvalidInput`` for a party that is none of the partner's CPO roles (not asked again when the caller
    did, ``party_checked``), or a different CDR under a held id. A held quarantine entry of the same id is released
    (the corrected resend)."""
    fields = cdr_fields(data)
    if not party_checked:
        _check_party(partner_id, fields)
    raw = storable(raw)
    with transaction.atomic():
        try:
            # Insert first: a new CDR is the common case, and the unique constraint tells us about a held id, also
            # one a concurrent POST committed a moment ago.
            with transaction.atomic():
                cdr = cdr_store(fields=fields, direction=Direction.RECEIVED, partner_id=partner_id, raw=raw)
        except IntegrityError:
            held = _held(fields, lock=True)
            if held is None:
                raise
        else:
            released = QuarantinedCdr.objects.filter(
                partner_id=partner_id,
                status=QuarantineStatus.HELD,
                country_code__iexact=fields["country_code"],
                party_id__iexact=fields["party_id"],
                cdr_id__iexact=fields["cdr_id"],
            ).update(status=QuarantineStatus.RELEASED, stored_cdr=cdr, resolved_at=timezone.now())
            if released:
                logger.info("CDR %s released %s quarantined copies", cdr, released)
            return ReceiveResult(WriteOutcome.CREATED, cdr)
        if _same(held, fields):
            return ReceiveResult(WriteOutcome.UNCHANGED, held)
    logger.warning("partner %s sent a different CDR under the held id %s: refused", partner_id, held)
    raise InvalidInput(
        f"a different CDR is already stored under {held.country_code}/{held.party_id}/{held.cdr_id}; "
        "CDRs cannot be replaced, send a credit CDR and a new CDR with a new id",
        field="id",
    )


# --- quarantine -------------------------------------------------------------------------------------------------


def _text(raw, key: str, limit: int, *, upper: bool = False) -> str:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(value, str):
        return ""
    return (value.upper() if upper else value)[:limit]


def cdr_quarantine(*, partner_id: int, raw, problems: list[str]) -> QuarantinedCdr:
    """Keep a refused CDR (``raw`` made storable, ``roaming.ocpi.kit.receive.storable``) with its problems, committed
    on return. The same payload again updates nothing."""
    problems = [problem.replace("\x00", "") for problem in problems]  # jsonb cannot hold NUL (messages quote values)
    with transaction.atomic():
        entry = QuarantinedCdr.objects.filter(partner_id=partner_id, status=QuarantineStatus.HELD, raw=raw).first()
        if entry is not None:
            return entry
        entry = QuarantinedCdr.objects.create(
            partner_id=partner_id,
            country_code=_text(raw, "country_code", 2, upper=True),
            party_id=_text(raw, "party_id", 3, upper=True),
            cdr_id=_text(raw, "id", 255),
            raw=raw,
            problems=problems,
        )
    logger.warning("CDR from partner %s quarantined: %s", partner_id, "; ".join(problems))
    return entry


def _locked_entry(entry_id: int) -> QuarantinedCdr:
    entry = QuarantinedCdr.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise ObjectNotFound("Unknown quarantined CDR")
    if entry.status != QuarantineStatus.HELD:
        raise StateConflict(f"This CDR is no longer held ({entry.get_status_display().lower()})")
    return entry


def quarantine_accept(*, entry_id: int, user, reason: str) -> Cdr:
    """Finance accepts a quarantined CDR after review: it becomes a CDR flagged as accepted by hand, with who and
    why. Defects real CPOs send are let through (``validate_cdr(lenient=True)``); anything else still refuses."""
    if not reason.strip():
        raise InvalidInput("say why the CDR is accepted", field="reason")
    with transaction.atomic():
        entry = _locked_entry(entry_id)
        try:
            data = validate_cdr(entry.raw, lenient=True)
        except DrfValidationError as exc:
            raise InvalidInput("cannot be stored even leniently: " + "; ".join(flatten_errors(exc.detail)))
        fields = cdr_fields(data)
        _check_party(entry.partner_id, fields)
        if _held(fields) is not None:
            raise StateConflict("a CDR with this id is already stored")
        cdr = cdr_store(
            fields=fields,
            direction=Direction.RECEIVED,
            partner_id=entry.partner_id,
            raw=entry.raw,
            user=user,
            event=EventKind.ACCEPTED_BY_HAND,
            comment=reason,
            accepted_by_hand=True,
        )
        entry.status, entry.stored_cdr = QuarantineStatus.ACCEPTED, cdr
        entry.resolved_by, entry.resolved_at, entry.resolution_comment = user, timezone.now(), reason
        entry.save()
    return cdr


def quarantine_discard(*, entry_id: int, user, reason: str) -> QuarantinedCdr:
    """Finance discards a quarantined CDR (kept, marked discarded, with who and why)."""
    with transaction.atomic():
        entry = _locked_entry(entry_id)
        entry.status = QuarantineStatus.DISCARDED
        entry.resolved_by, entry.resolved_at, entry.resolution_comment = user, timezone.now(), reason
        entry.save()
    return entry


def cdrs_ingest_page(*, partner_id: int, objects: list) -> dict:
    """The pull engine's page of a CPO partner's CDRs (mod_cdrs.asciidoc, "Pull model": CDRs missed while we were
    down), on the POST's rules: stored once, the same CDR again ignored, a spec-breaking one quarantined."""
    accepted, ignored, rejected = 0, 0, []
    for index, item in enumerate(objects):
        try:
            raw = storable(item)
            result = cdr_receive_from_partner(partner_id=partner_id, data=validate_cdr(item), raw=raw)
        except DrfValidationError as exc:
            problems = flatten_errors(exc.detail)
            cdr_quarantine(partner_id=partner_id, raw=raw, problems=problems)
            rejected.append(f"[{index}] " + "; ".join(problems))
        except InvalidInput as exc:
            rejected.append(f"[{index}] {exc.field + ': ' if exc.field else ''}{exc.message}")
        else:
            accepted += result.created
            ignored += result.ignored
    return {"accepted": accepted, "ignored": ignored, "rejected": rejected}
