"""Our eMSP's own tokens (mod_tokens.asciidoc, "Push model").

Every change bumps ``last_updated`` and writes the push into the outbox in the same transaction
(``roaming.ocpi.push``): a new token, or one whose other fields changed, is PUT whole to every CPO partner with a
tokens Receiver; a change of ``valid``/``whitelist`` alone is a PATCH (the spec's "invalidate a Token" example), so a
block reaches the CPO at once and in order after the PUT that created the token. Tokens are never deleted: a token
is withdrawn by blocking it (``valid=false``).
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.push import PushItem, push_enqueue_many
from roaming.tokens.ema_id import EmaIdError, ema_id_parse
from roaming.tokens.models import Token
from roaming.tokens.ocpi.render import token_to_ocpi
from roaming.tokens.ocpi.serializers import validate_token
from roaming.tokens.selectors import own_party, token_get_own
from roaming.tokens.services.common import MODULE, fields_from_ocpi, now_second

#: the fields a PATCH push carries when only they changed
PATCH_FIELDS = ("valid", "whitelist")


def token_receiver_path(token: Token) -> str:
    """``{country_code}/{party_id}/{uid}?type={type}``: the tail of the partner's Receiver URL."""
    return f"{token.country_code}/{token.party_id}/{quote(token.uid, safe='')}?type={token.type}"


def put_item(token: Token) -> PushItem:
    return PushItem(token.object_key, "PUT", token_receiver_path(token), token_to_ocpi(token))


def patch_item(token: Token, fields: Iterable[str]) -> PushItem:
    body = {name: getattr(token, name) for name in fields}
    body["last_updated"] = format_datetime(token.last_updated)
    return PushItem(token.object_key, "PATCH", token_receiver_path(token), body)


def validate_own_token(data: Mapping) -> dict:
    """Validate one of our tokens in OCPI shape (``country_code``/``party_id``/``last_updated`` are set here):
    the Token object's rules plus an eMA ID ``contract_id`` (ISO 15118-1). Raises Django ``ValidationError`` with
    messages naming the field; returns the validated data, ``contract_id`` upper-cased."""
    country_code, party_id = own_party()
    payload = {
        "whitelist": "ALLOWED",
        "valid": True,
        "type": "RFID",
        **{k: v for k, v in data.items() if v is not None and v != ""},  # empty reads as absent
        "country_code": country_code,
        "party_id": party_id,
        "last_updated": format_datetime(now_second()),
    }
    try:
        validated = validate_token(payload)
    except DrfValidationError as exc:
        raise ValidationError(flatten_errors(exc.detail))
    try:
        ema_id_parse(validated["contract_id"])
    except EmaIdError as exc:
        raise ValidationError({"contract_id": [exc.reason]})
    validated["contract_id"] = validated["contract_id"].strip().upper()
    return validated


def _changed(token: Token, fields: dict) -> set[str]:
    return {name for name, value in fields.items() if name != "last_updated" and getattr(token, name) != value}


def _bump(token: Token) -> None:
    # Never step back in time, even if a stored timestamp is ahead of our clock.
    token.last_updated = max(now_second(), token.last_updated + timedelta(seconds=1))


def token_save_own(*, data: Mapping) -> tuple[Token, bool]:
    """Create one of our tokens, or replace the one with the same ``(uid, type)``; push it to every CPO partner.

    ``data`` has the Token object's fields (``uid``, ``type`` (default RFID), ``contract_id``, ``issuer``, ...;
    ``valid`` defaults to true, ``whitelist`` to ALLOWED). Saving identical content changes and pushes nothing.
    Returns ``(token, created)``.
    """
    validated = validate_own_token(data)
    fields = fields_from_ocpi(validated)
    with transaction.atomic():
        existing = token_get_own(uid=validated["uid"], type=validated["type"])
        if existing is not None:
            existing = Token.objects.select_for_update().get(pk=existing.pk)
            changed = _changed(existing, fields)
            if not changed:
                return existing, False
            for name in changed:
                setattr(existing, name, fields[name])
            _bump(existing)
            existing.save()
            item = patch_item(existing, changed) if changed <= set(PATCH_FIELDS) else put_item(existing)
            push_enqueue_many(module=MODULE, items=[item])
            return existing, False
        country_code, party_id = own_party()
        token = Token.objects.create(
            country_code=country_code, party_id=party_id, uid=validated["uid"], type=validated["type"], **fields
        )
        push_enqueue_many(module=MODULE, items=[put_item(token)])
        return token, True


def token_update_own(*, token: Token, changes: Mapping) -> Token:
    """Change some fields of one of our tokens (``uid`` and ``type`` identify it and cannot change); push a PATCH
    when only ``valid``/``whitelist`` changed, else a PUT."""
    if not token.is_own:
        raise ValidationError("only our own eMSP's tokens can be changed; a partner's token is its to change")
    for key in ("uid", "type", "country_code", "party_id"):
        if key in changes and str(changes[key]).upper() != str(getattr(token, key)).upper():
            raise ValidationError({key: ["identifies the token and cannot be changed"]})
    current = token_to_ocpi(token)
    current.pop("last_updated")
    saved, _ = token_save_own(data={**current, **changes, "uid": token.uid, "type": token.type})
    return saved


def tokens_push_own(*, token_ids: list[int], partner_ids: list[int] | None = None) -> int:
    """PUT our current tokens ``token_ids`` again, whole, to every CPO partner or to ``partner_ids`` (a
    reconciliation re-pushes to the one partner missing them). Call inside a transaction; returns the number of
    outbox messages written."""
    tokens = Token.objects.filter(pk__in=token_ids, source_partner__isnull=True).order_by("pk")
    return push_enqueue_many(module=MODULE, items=[put_item(t) for t in tokens], partner_ids=partner_ids)


def tokens_set_valid(*, tokens: Iterable[Token | int], valid: bool) -> int:
    """Block (``valid=False``) or unblock our tokens and PATCH each change to every CPO partner at once.
    Tokens already in that state are left alone. Returns how many changed."""
    ids = [t.pk if isinstance(t, Token) else int(t) for t in tokens]
    with transaction.atomic():
        rows = list(
            Token.objects.select_for_update()
            .filter(pk__in=ids, source_partner__isnull=True)
            .exclude(valid=valid)
            .order_by("pk")
        )
        clock = timezone.now()
        for row in rows:
            row.valid = valid
            row.updated_at = clock  # bulk_update skips auto_now
            _bump(row)
        Token.objects.bulk_update(rows, ["valid", "last_updated", "updated_at"], batch_size=1000)
        push_enqueue_many(module=MODULE, items=[patch_item(row, ("valid",)) for row in rows])
    return len(rows)
