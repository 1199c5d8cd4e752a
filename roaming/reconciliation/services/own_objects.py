"""Our own objects at the partner (issue 14: "re-push one the partner is missing"): for a module we own and push to
the partner's Receiver (our CPO's locations, tariffs and sessions to an eMSP, our eMSP's tokens to a CPO), read each
object of the period back from that Receiver (``readback``) and report the ones it does not have or holds
differently; the repair PUTs our current object again through the module's own push, into the outbox
(``roaming.ocpi.push``), where it stays until the partner confirms it.

A Receiver GET is the spec's way for the owner to check its copy at the partner (mod_tokens.asciidoc: "If the eMSP
wants to check the status of a Token in the CPO system it might GET the object ... it would be illogical if the CPO
system had a different status or was missing an object"; the same GET Method in mod_locations, mod_tariffs and
mod_sessions).
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Max

from roaming.locations.services.own import locations_push_own
from roaming.ocpi.client import join_url
from roaming.ocpi.directory import directory
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.status import InterfaceRole
from roaming.reconciliation.choices import Action, Kind, RepairOutcome
from roaming.reconciliation.models import Difference
from roaming.reconciliation.selectors import own_in_period
from roaming.reconciliation.services.findings import Finding
from roaming.reconciliation.services.readback import read_back
from roaming.reconciliation.specs import SPECS, last_updated_of
from roaming.sessions.services.announce import sessions_push_put
from roaming.tariffs.services import tariffs_push_own
from roaming.tokens.services.own import tokens_push_own

MAX_REPORTED_ERRORS = 5

#: module -> its push of our current objects, whole (PUT), to one partner: ``(pks, partner_id)`` -> messages written
REPUSH: dict[str, Callable[[list[int], int], int]] = {
    "locations": lambda pks, partner_id: locations_push_own(pks, partner_ids=[partner_id]),
    "tariffs": lambda pks, partner_id: tariffs_push_own(tariff_ids=pks, partner_ids=[partner_id]),
    "tokens": lambda pks, partner_id: tokens_push_own(token_ids=pks, partner_ids=[partner_id]),
    "sessions": lambda pks, partner_id: sessions_push_put(session_ids=pks, partner_id=partner_id),
}


def _pending_keys(*, partner_id: int, module: str) -> set[str]:
    """Object keys with a push to the partner still pending in the outbox: in flight, not to be pushed twice."""
    return set(
        OutboxMessage.objects.filter(
            partner_id=partner_id, module=module, status=OutboxMessage.Status.PENDING
        ).values_list("object_key", flat=True)
    )


def _action(*, in_flight: bool, ours: dict, theirs: dict | None = None) -> str:
    """REPUSH unless a push is in flight or the partner's copy claims a later ``last_updated`` than ours (its
    receiver would take our PUT as stale, transport_and_format.asciidoc; someone should look)."""
    if in_flight:
        return Action.REVIEW
    theirs_at, ours_at = last_updated_of(theirs), last_updated_of(ours)
    if theirs_at is not None and ours_at is not None and theirs_at > ours_at:
        return Action.REVIEW
    return Action.REPUSH


def own_objects_check(
    *, partner_id: int, module: str, date_from: datetime, date_to: datetime
) -> tuple[list[Finding], list[str]]:
    """Findings and notes for our own ``module`` objects that the partner's Receiver should hold, with
    ``last_updated`` in the period. Not checked (a note says why) when the partner publishes no Receiver for it."""
    spec = SPECS[module]
    base = directory().endpoint_url(partner_id, module, InterfaceRole.RECEIVER)
    if not base:
        return [], [f"the partner publishes no {module} Receiver: our own {module} were not read back"]
    rows = own_in_period(spec=spec, partner_id=partner_id, date_from=date_from, date_to=date_to)
    if not rows:
        return [], [f"none of our own {module} changed in the period: nothing to read back at the partner"]
    pending = _pending_keys(partner_id=partner_id, module=module)
    findings, errors, checked, in_flight = [], [], 0, 0
    items = ((row, join_url(base, row["path"]), row["summary"]) for row in rows)
    for row, found in read_back(partner_id=partner_id, module=module, items=items):
        label, ours, key = row["label"], row["summary"], ("pk", row["pk"])
        if found.error:
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(f"{label}: could not be read back ({found.error})")
            continue
        checked += 1
        flying = label in pending
        if found.missing:
            in_flight += flying
            action = _action(in_flight=flying, ours=ours)
            findings.append(Finding(Kind.MISSING_AT_PARTNER, label, action, ours=ours, key=key))
        elif found.differing:
            in_flight += flying
            action = _action(in_flight=flying, ours=ours, theirs=found.theirs)
            for name in found.differing:
                findings.append(
                    Finding(Kind.DIFFERS_AT_PARTNER, label, action, name, ours.get(name), found.theirs.get(name), key)
                )
    notes = [f"{checked} of {len(rows)} of our own {module} were read back at the partner's Receiver", *errors]
    if in_flight:
        notes.append(f"{in_flight} of them have a push pending in the outbox: in flight, to review, not pushed twice")
    return findings, notes


def own_objects_repush(*, partner_id: int, module: str, differences: list[Difference], keys: dict) -> None:
    """PUT our current objects again to the partner, through the module's push (one outbox message each, delivered
    and retried by the push engine), and record each difference's outcome from the outbox: queued when a message
    for it was written (and whether the partner has confirmed it yet), failed when none was (the object was deleted
    here since, or the partner dropped its Receiver) or the partner refused it."""
    pks = sorted({keys[d.pk][1] for d in differences})
    outbox = OutboxMessage.objects.filter(partner_id=partner_id, module=module)
    before = outbox.aggregate(last=Max("id"))["last"] or 0
    with transaction.atomic():
        REPUSH[module](pks, partner_id)
    rows = outbox.filter(id__gt=before).values_list("object_key", "status", "last_error")
    written = {key: (status, error) for key, status, error in rows}
    for difference in differences:
        status, error = written.get(difference.object_id, (None, ""))
        if status is None or status == OutboxMessage.Status.FAILED:
            difference.repair_outcome = RepairOutcome.FAILED
            difference.repair_message = (
                f"the partner refused the PUT: {error}"[:2000]
                if status
                else "not queued: the object is gone here, or the partner has no Receiver for it"
            )
            continue
        difference.repaired, difference.repair_outcome = True, RepairOutcome.QUEUED
        confirmed = status == OutboxMessage.Status.DELIVERED
        difference.repair_message = "PUT of our current object " + (
            "delivered" if confirmed else "queued in the outbox"
        )
