"""Writes of the tariffs module (mod_tariffs.asciidoc, "Flow and Lifecycle").

Two sides share one table:

* **receive** (eMSP side): what a CPO partner PUTs or DELETEs on our Receiver interface, or what we pull from its
  Sender interface. A copy older than the one we hold is acknowledged and ignored (``last_updated`` is the owner's
  clock), so a late push or an overlapping pull can never roll a tariff back.
* **own** (CPO side): our tariffs. Every change bumps ``last_updated`` and writes the push (PUT, or DELETE) into the
  outbox in the same transaction (``roaming.ocpi.push``). Before a tariff is deleted it is removed from the
  ``tariff_ids`` of our connectors and those locations are pushed ("Before deleting a Tariff object, it is
  RECOMMENDED to ensure that the Tariff object is not referenced by any Connector object").

Connector assignment (Connector.tariff_ids, mod_locations.asciidoc) is a locations service
(``roaming.locations.services.tariff_assignment``): this module writes no Location, EVSE or Connector row.
"""

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.locations.services.own import location_object_key, now_second
from roaming.locations.services.tariff_assignment import connector_tariffs_unassign
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.kit.receive import (
    ReceiveResult,
    WriteOutcome,
    check_partner_party,
    ingest_page,
    is_stale,
    lock_objects,
    object_key,
    refuse_own,
    storable,
)
from roaming.ocpi.push import PushItem, push_enqueue, push_enqueue_many
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import jsonable, tariff_to_ocpi
from roaming.tariffs.ocpi.serializers import validate_tariff
from roaming.tariffs.selectors import tariff_connectors, tariff_get

logger = logging.getLogger("roaming.tariffs")

MODULE = "tariffs"
OWNER_ROLE = "CPO"  # mod_tariffs.asciidoc: the CPO owns Tariffs


def _fields(data: Mapping) -> dict:
    """Validated Tariff data (``validate_tariff``) as model field values, every field set (PUT is a replacement:
    an omitted optional field is cleared)."""
    min_price = data.get("min_price") or {}
    max_price = data.get("max_price") or {}
    return {
        "tariff_id": data["id"],
        "currency": data["currency"],
        "type": data.get("type") or "",
        "tariff_alt_text": data.get("tariff_alt_text") or [],
        "tariff_alt_url": data.get("tariff_alt_url") or "",
        "min_price_excl_vat": min_price.get("excl_vat"),
        "min_price_incl_vat": min_price.get("incl_vat"),
        "max_price_excl_vat": max_price.get("excl_vat"),
        "max_price_incl_vat": max_price.get("incl_vat"),
        "elements": data["elements"],
        "start_date_time": data.get("start_date_time"),
        "end_date_time": data.get("end_date_time"),
        "energy_mix": data.get("energy_mix") or None,
        "last_updated": data["last_updated"],
    }


def _same(tariff: Tariff, fields: dict, *, ignore: Iterable[str] = ()) -> bool:
    return all(getattr(tariff, name) == value for name, value in fields.items() if name not in ignore)


def _locked(*, country_code: str, party_id: str, tariff_id: str) -> Tariff | None:
    return (
        Tariff.objects.select_for_update()
        .filter(country_code=country_code, party_id=party_id, tariff_id__iexact=tariff_id)
        .first()
    )


# --- receive (eMSP side) ----------------------------------------------------------------------------------------


def _lock_tariffs(keys) -> dict:
    return lock_objects(Tariff.objects.all(), keys, id_field="tariff_id")


def _store(*, partner_id: int, data: Mapping, raw, current: Tariff | None) -> ReceiveResult:
    """Write a validated, current (not stale, not ours) partner Tariff over ``current``, inside the caller's
    transaction; ``raw`` is already ``storable``. An identical copy from the same partner is not rewritten
    (``UNCHANGED``)."""
    fields = _fields(data)
    # A tariff the CPO sends again after a full pull retired it is current again.
    stamp = {"source_partner_id": partner_id, "received_at": timezone.now(), "raw": raw, "retired_at": None}
    if current is None:
        with transaction.atomic():  # savepoint: a concurrent PUT may create the same tariff first
            tariff = Tariff.objects.create(
                country_code=data["country_code"], party_id=data["party_id"], **fields, **stamp
            )
        return ReceiveResult(WriteOutcome.CREATED, tariff)
    if _same(current, fields) and current.source_partner_id == partner_id and current.retired_at is None:
        return ReceiveResult(WriteOutcome.UNCHANGED, current)
    for name, value in {**fields, **stamp}.items():
        setattr(current, name, value)
    current.save()
    return ReceiveResult(WriteOutcome.UPDATED, current)


def tariff_put_from_partner(*, partner_id: int, data: Mapping, raw=None, **url_ids) -> ReceiveResult:
    """Store a Tariff a CPO partner pushed (Receiver PUT) or we pulled (mod_tariffs.asciidoc, PUT Method).

    ``data`` is validated (``validate_tariff``); its country_code/party_id must be one of the partner's CPO roles
    (``url_ids``, the URL's country_code/party_id/tariff_id, already agree with it: the kit's receiver view checks).
    A copy older than the stored one is ignored (``STALE``), an identical one is not rewritten (``UNCHANGED``).
    ``raw`` is kept as sent, for integrators.
    """
    country_code, party_id, tariff_id = data["country_code"], data["party_id"], data["id"]
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    raw = storable(raw)
    key = object_key(country_code, party_id, tariff_id)
    with transaction.atomic():
        current = _lock_tariffs([key]).get(key)
        refuse_own(current, what="tariff")
        if is_stale(current, data):
            return ReceiveResult(WriteOutcome.STALE, current)
        try:
            return _store(partner_id=partner_id, data=data, raw=raw, current=current)
        except IntegrityError:
            current = _lock_tariffs([key]).get(key)
            if current is None:
                raise
            refuse_own(current, what="tariff")
            if is_stale(current, data):
                return ReceiveResult(WriteOutcome.STALE, current)
            return _store(partner_id=partner_id, data=data, raw=raw, current=current)


def tariff_delete_from_partner(*, partner_id: int, country_code: str, party_id: str, tariff_id: str, data=None) -> None:
    """Remove a partner's Tariff (mod_tariffs.asciidoc, DELETE Method). Raises ``ObjectNotFound`` if we hold none.

    Connectors of the partner's locations that still reference it are left as the CPO sent them: the spec makes
    unlinking them the CPO's job, and a connector's tariff id we cannot resolve simply shows no price.
    """
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    with transaction.atomic():
        tariff = tariff_get(country_code=country_code, party_id=party_id, tariff_id=tariff_id, own=False)
        if tariff is None:
            raise ObjectNotFound(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
        tariff.delete()


def _validate(item) -> dict:
    try:
        return validate_tariff(item)
    except DrfValidationError as exc:
        raise InvalidInput("; ".join(flatten_errors(exc.detail))) from None


def tariffs_ingest_page(*, partner_id: int, objects: list) -> dict:
    """The pull engine's ingest callback (``roaming.ocpi.pull``): validate and store one page of a partner's
    Tariffs (Sender GET list) on the kit's rules. One bad tariff is reported and skipped, never sinks the page;
    an unchanged one counts as ignored."""
    unchanged = 0

    def write(items) -> None:
        nonlocal unchanged
        for data, raw, current in items:
            if _store(partner_id=partner_id, data=data, raw=raw, current=current).ignored:
                unchanged += 1

    report = ingest_page(
        partner_id=partner_id, objects=objects, role=OWNER_ROLE, validate=_validate, lock=_lock_tariffs, write=write
    )
    return {**report, "accepted": report["accepted"] - unchanged, "ignored": report["ignored"] + unchanged}


def tariffs_retire_missing(*, partner_id: int, seen: set, before: dt.datetime) -> list[str]:
    """After a complete full pull (``roaming.ocpi.pull``): retire the partner's tariffs its Sender list no longer
    returned (``seen``: upper-cased (country_code, party_id, id) keys) and that we received before ``before``. A
    missed DELETE (mod_tariffs.asciidoc, DELETE Method) would otherwise price sessions forever; the row is kept,
    retired (``retired_at``), for the sessions and CDRs that used it (``tariff_prices_at``). Returns the
    ``country_code/party_id/id`` of each tariff retired."""
    now = timezone.now()
    with transaction.atomic():
        rows = (
            Tariff.objects.select_for_update()
            .filter(source_partner_id=partner_id, retired_at__isnull=True, received_at__lt=before)
            .only("pk", "country_code", "party_id", "tariff_id")
            .order_by("pk")
        )
        gone = [t for t in rows if object_key(t.country_code, t.party_id, t.tariff_id) not in seen]
        Tariff.objects.filter(pk__in=[t.pk for t in gone]).update(retired_at=now, updated_at=now)
    for tariff in gone:
        logger.info("tariff %s retired: partner %s no longer lists it", tariff.object_key, partner_id)
    return [t.object_key for t in gone]


# --- own (CPO side) ---------------------------------------------------------------------------------------------


def _own_party() -> tuple[str, str]:
    return settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID


def _push_put(tariff: Tariff) -> int:
    return push_enqueue(
        module=MODULE,
        object_key=tariff.object_key,
        method="PUT",
        path=tariff.object_key,
        body=jsonable(tariff_to_ocpi(tariff)),
    )


def tariffs_push_own(*, tariff_ids: list[int], partner_ids: list[int] | None = None) -> int:
    """PUT our current tariffs ``tariff_ids`` again (mod_tariffs.asciidoc, "Push model"), to ``partner_ids`` only
    when given (a reconciliation re-pushes to the one partner missing them). Call inside a transaction; returns the
    number of outbox messages written."""
    tariffs = Tariff.objects.filter(pk__in=tariff_ids, source_partner__isnull=True).order_by("pk")
    items = [PushItem(t.object_key, "PUT", t.object_key, jsonable(tariff_to_ocpi(t))) for t in tariffs]
    return push_enqueue_many(module=MODULE, items=items, partner_ids=partner_ids)


def tariff_save_own(*, data: Mapping) -> Tariff:
    """Create or replace one of our tariffs and PUT it to every partner with a tariffs Receiver
    (mod_tariffs.asciidoc, "Push model").

    ``data`` is a Tariff in OCPI JSON shape (numbers may be ``Decimal``, ``int`` or numeric strings);
    ``country_code``/``party_id`` are always ours and ``last_updated`` is set here. It is validated with the OCPI
    serializer in strict mode; errors raise Django ``ValidationError`` with messages naming the field
    (``elements[0].price_components[0].price: ...``). Saving identical content changes and pushes nothing.
    """
    country_code, party_id = _own_party()
    now = now_second()
    payload = {**data, "country_code": country_code, "party_id": party_id, "last_updated": now.isoformat()}
    try:
        validated = validate_tariff(payload, strict=True)
    except DrfValidationError as exc:
        raise ValidationError(flatten_errors(exc.detail))
    fields = _fields(validated)
    with transaction.atomic():
        existing = _locked(country_code=country_code, party_id=party_id, tariff_id=validated["id"])
        if existing is not None:
            if existing.source_partner_id is not None:
                raise ValidationError(f"id: tariff {validated['id']} belongs to a partner")
            if _same(existing, fields, ignore=("last_updated",)):
                return existing
            # Never step back in time, even if a stored timestamp is ahead of our clock.
            fields["last_updated"] = max(now, existing.last_updated + dt.timedelta(seconds=1))
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save()
            tariff = existing
        else:
            tariff = Tariff.objects.create(country_code=country_code, party_id=party_id, **fields)
        _push_put(tariff)
    return tariff


def tariff_delete_own(*, tariff: Tariff) -> int:
    """Retire one of our tariffs (mod_tariffs.asciidoc, DELETE Method): first remove it from our connectors'
    ``tariff_ids`` (pushing each changed location), then delete it and push DELETE. Returns how many connectors
    were unlinked."""
    with transaction.atomic():
        locked = Tariff.objects.select_for_update().filter(pk=tariff.pk).first()
        if locked is None:
            raise ObjectNotFound(f"Unknown tariff {tariff}")
        if not locked.is_own:
            raise ValidationError("only our own tariffs can be deleted this way; a partner's tariff is its to retire")
        connectors = [c for c in tariff_connectors(tariff=locked) if c.evse.location.source_partner_id is None]
        unlinked = connector_tariffs_unassign(tariff=locked, connectors=connectors) if connectors else 0
        key = locked.object_key
        locked.delete()
        # The DELETE waits until the location PUTs that unlinked the tariff have reached each partner.
        location_keys = tuple(sorted({location_object_key(c.evse.location) for c in connectors}))
        push_enqueue(module=MODULE, object_key=key, method="DELETE", path=key, body=None, after_keys=location_keys)
    return unlinked
