"""The CPO side's token cache (mod_tokens.asciidoc, Receiver interface and "Pull model").

What an eMSP partner PUTs or PATCHes on our Receiver interface, or what we pull from its Sender list, lands here. A
copy older than the one we hold (``last_updated``, the owner's clock) is acknowledged and ignored, so a late push or
an overlapping pull never rolls a token back; an identical one is not rewritten. A partner writes only under the
country_code/party_id of its own eMSP roles, and never over our own eMSP's tokens; the raw payload is kept as sent.
These rules are the partner-object kit's (``roaming.ocpi.kit.receive``). The pull's ingest is this module's own
batched one (COPY for new tokens, one locking read per page): a token's key includes ``type``, which the kit's
``ingest_page`` keyed on ``(country_code, party_id, id)`` does not carry.
"""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.core.exceptions import ObjectNotFound
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.kit.receive import (
    ReceiveResult,
    WriteOutcome,
    check_partner_party,
    is_stale,
    partner_parties,
    refuse_own,
    storable,
)
from roaming.tokens.models import Token
from roaming.tokens.ocpi.serializers import token_validator
from roaming.tokens.services.common import analyze_if_stale, fields_from_ocpi, tokens_insert

#: the role that owns tokens (mod_tokens.asciidoc: "Data owner: MSP"); only a partner's eMSP roles may write them
OWNER_ROLE = "EMSP"

INGEST_CHUNK = 1000


def _locked(*, country_code: str, party_id: str, uid: str, type: str) -> Token | None:
    return (
        Token.objects.select_for_update()
        .annotate(uid_upper=Upper("uid"))
        .filter(country_code=country_code, party_id=party_id, uid_upper=uid.upper(), type=type)
        .first()
    )


def token_put_from_partner(
    *, partner_id: int, data: Mapping, raw=None, country_code: str = "", party_id: str = "", uid: str = "",
    type: str = "",
) -> ReceiveResult:  # fmt: skip
    """Store a Token an eMSP partner pushed (Receiver PUT) or we pulled. ``data`` is validated (``validate_token``)
    and names the token; the receiver view's URL ids (keyword arguments) already agree with it. A copy older than
    the stored one is ignored (``STALE``), an identical one is not rewritten (``UNCHANGED``)."""
    country_code, party_id, uid, type_ = data["country_code"], data["party_id"], data["uid"], data["type"]
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    fields = fields_from_ocpi(data)
    stamp = {"source_partner_id": partner_id, "received_at": timezone.now(), "raw": storable(raw)}
    with transaction.atomic():
        existing = _locked(country_code=country_code, party_id=party_id, uid=uid, type=type_)
        if existing is None:
            try:
                with transaction.atomic():  # savepoint: a concurrent PUT may create the same token first
                    token = Token.objects.create(
                        country_code=country_code, party_id=party_id, uid=uid, type=type_, **fields, **stamp
                    )
                return ReceiveResult(WriteOutcome.CREATED, token)
            except IntegrityError:
                existing = _locked(country_code=country_code, party_id=party_id, uid=uid, type=type_)
                if existing is None:
                    raise
        refuse_own(existing, what="token")
        if is_stale(existing, data):
            return ReceiveResult(WriteOutcome.STALE, existing)
        if existing.source_partner_id == partner_id and all(getattr(existing, k) == v for k, v in fields.items()):
            return ReceiveResult(WriteOutcome.UNCHANGED, existing)
        for name, value in {**fields, **stamp}.items():
            setattr(existing, name, value)
        existing.save()
        return ReceiveResult(WriteOutcome.UPDATED, existing)


def token_patch_from_partner(
    *, partner_id: int, country_code: str, party_id: str, uid: str, type: str, data: Mapping, raw=None
) -> ReceiveResult:
    """Apply a partial update (Receiver PATCH, e.g. ``{"valid": false, "last_updated": ...}``) to a cached token.

    ``data`` is validated with ``validate_token(partial=True)``; the receiver view has checked that key members it
    repeats agree with the URL. Raises ``ObjectNotFound`` for a token we do not hold. A PATCH older than the token
    is ignored (``STALE``); a block takes effect for the next authorization decision.
    """
    check_partner_party(partner_id, country_code, party_id, role=OWNER_ROLE)
    with transaction.atomic():
        token = _locked(country_code=country_code, party_id=party_id, uid=uid, type=type)
        if token is None or token.source_partner_id is None:
            raise ObjectNotFound(f"Unknown token {country_code}/{party_id}/{uid} ({type})")
        if is_stale(token, data):
            return ReceiveResult(WriteOutcome.STALE, token)
        for name, value in data.items():
            if name not in ("country_code", "party_id", "uid", "type"):
                setattr(token, name, value)
        if isinstance(raw, Mapping):  # keep the whole object as the partner described it, patch applied
            token.raw = {**(token.raw or {}), **storable(raw)}
        token.received_at = timezone.now()
        token.save()
        return ReceiveResult(WriteOutcome.UPDATED, token)


def tokens_ingest_page(*, partner_id: int, objects: list) -> dict:
    """The pull engine's ingest callback (``roaming.ocpi.pull``) for one page of an eMSP's Token list (Sender GET).

    Batched for lists of 100,000 tokens: one query reads the stored versions of the whole page, new tokens are
    bulk-inserted and newer versions bulk-updated. One bad token is reported and skipped, never sinks the page; an
    older or identical copy is counted as ignored.
    """
    parties = partner_parties(partner_id, OWNER_ROLE)
    validate = token_validator()
    accepted, ignored, rejected = 0, 0, []
    valid: dict[tuple, tuple[dict, object]] = {}
    for index, item in enumerate(objects):
        label = item.get("uid") if isinstance(item, Mapping) and item.get("uid") else f"#{index}"
        try:
            data = validate(item)
        except DrfValidationError as exc:
            rejected.append(f"token {label}: {'; '.join(flatten_errors(exc.detail))}")
            continue
        if (data["country_code"], data["party_id"]) not in parties:
            party = f"{data['country_code']}/{data['party_id']}"
            rejected.append(f"token {label}: {party} is not one of the partner's roles")
            continue
        key = (data["country_code"], data["party_id"], data["uid"].upper(), data["type"])
        previous = valid.get(key)
        if previous is None or previous[0]["last_updated"] <= data["last_updated"]:
            if previous is not None:
                ignored += 1
            valid[key] = (data, item)
        else:
            ignored += 1
    if not valid:
        return {"accepted": accepted, "ignored": ignored, "rejected": rejected}
    now = timezone.now()
    with transaction.atomic():
        existing = {}
        for country_code, party_id in {(k[0], k[1]) for k in valid}:
            uids = [k[2] for k in valid if k[0] == country_code and k[1] == party_id]
            rows = (
                Token.objects.select_for_update()
                .annotate(uid_upper=Upper("uid"))
                .filter(country_code=country_code, party_id=party_id, uid_upper__in=uids)
            )
            for row in rows:
                existing[(row.country_code, row.party_id, row.uid_upper, row.type)] = row
        creates, updates = [], []
        for key, (data, raw) in valid.items():
            fields = fields_from_ocpi(data)
            row = existing.get(key)
            if row is None:
                creates.append(
                    Token(
                        country_code=data["country_code"],
                        party_id=data["party_id"],
                        uid=data["uid"],
                        type=data["type"],
                        source_partner_id=partner_id,
                        received_at=now,
                        raw=storable(raw),
                        **fields,
                    )
                )
            elif row.source_partner_id is None:
                rejected.append(f"token {data['uid']}: one of our own eMSP's tokens")
            elif fields["last_updated"] < row.last_updated or (
                row.source_partner_id == partner_id and all(getattr(row, k) == v for k, v in fields.items())
            ):
                ignored += 1
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.source_partner_id, row.received_at, row.raw, row.updated_at = partner_id, now, storable(raw), now
                updates.append(row)
        tokens_insert(creates)
        Token.objects.bulk_update(updates, list(_UPDATE_FIELDS), batch_size=INGEST_CHUNK)
    analyze_if_stale(Token._meta.db_table, changed=len(creates) + len(updates))
    accepted += len(creates) + len(updates)
    return {"accepted": accepted, "ignored": ignored, "rejected": rejected}


_UPDATE_FIELDS = (
    "contract_id",
    "visual_number",
    "issuer",
    "group_id",
    "valid",
    "whitelist",
    "language",
    "default_profile_type",
    "energy_contract",
    "last_updated",
    "source_partner",
    "received_at",
    "raw",
    "updated_at",
)
