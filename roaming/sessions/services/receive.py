"""Sessions of our eMSP's drivers, as CPO partners send them (mod_sessions.asciidoc, Receiver Interface) or we
pull them (Sender GET list).

* PUT creates or replaces (``charging_periods`` replaced wholesale); PATCH changes the fields it carries and
  **appends** its ``charging_periods``; a copy older than the one we hold (``last_updated``, the owner's clock) is
  acknowledged and ignored, so a late push or an overlapping pull never rolls a session back.
* A session for a token that is not one of ours is **kept** and flagged for ops (``token_known``): the driver is
  already charging, refusing the data helps nobody.
* The payload is kept as sent (``raw``) next to what we stored.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.core.exceptions import InvalidInput, ObjectNotFound
from roaming.ocpi.exceptions import flatten_errors
from roaming.partners.models import PartnerRole
from roaming.sessions.models import ChargingSession
from roaming.sessions.ocpi.serializers import validate_session
from roaming.sessions.services.announce import jsonable
from roaming.tokens.selectors import token_get_own


class ReceiveOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    STALE = "stale"


@dataclass(frozen=True)
class ReceiveResult:
    session: ChargingSession
    outcome: ReceiveOutcome

    @property
    def created(self) -> bool:
        return self.outcome == ReceiveOutcome.CREATED


def _parties(partner_id: int) -> set[tuple[str, str]]:
    return {
        (cc.upper(), pid.upper())
        for cc, pid in PartnerRole.objects.filter(partner_id=partner_id).values_list("country_code", "party_id")
    }


def _price_fields(price: Mapping | None) -> dict:
    price = price or {}
    return {"total_cost_excl_vat": price.get("excl_vat"), "total_cost_incl_vat": price.get("incl_vat")}


def _token_fields(cdr_token: Mapping) -> dict:
    known = token_get_own(uid=cdr_token["uid"], type=cdr_token["type"]) is not None
    return {
        "cdr_token": dict(cdr_token),
        "token_uid": cdr_token["uid"],
        "token_type": cdr_token["type"],
        "contract_id": cdr_token["contract_id"],
        "emsp_country_code": cdr_token["country_code"],
        "emsp_party_id": cdr_token["party_id"],
        "token_known": known,
    }


_SCALARS = (
    "start_date_time",
    "end_date_time",
    "kwh",
    "auth_method",
    "authorization_reference",
    "location_id",
    "evse_uid",
    "connector_id",
    "meter_id",
    "currency",
    "status",
    "last_updated",
)
_BLANK_WHEN_ABSENT = {"authorization_reference", "meter_id"}


def _fields(data: Mapping, *, partial: bool) -> dict:
    fields = {}
    for name in _SCALARS:
        if name in data:
            fields[name] = data[name]
        elif not partial:
            fields[name] = "" if name in _BLANK_WHEN_ABSENT else None
    if "cdr_token" in data:
        fields.update(_token_fields(data["cdr_token"]))
    if "total_cost" in data or not partial:
        fields.update(_price_fields(data.get("total_cost")))
    return fields


def _locked(country_code: str, party_id: str, session_id: str) -> ChargingSession | None:
    return (
        ChargingSession.objects.select_for_update()
        .filter(country_code=country_code.upper(), party_id=party_id.upper(), session_id__iexact=session_id)
        .first()
    )


def _check_party(partner_id: int, country_code: str, party_id: str) -> None:
    if (country_code.upper(), party_id.upper()) not in _parties(partner_id):
        raise InvalidInput(
            f"{country_code}/{party_id} is not one of the partner's registered roles", field="country_code/party_id"
        )


def session_put_from_partner(*, partner_id: int, data: Mapping, raw=None) -> ReceiveResult:
    """Store a Session a CPO partner PUT (or we pulled). ``data`` is validated (``validate_session``)."""
    country_code, party_id, session_id = data["country_code"], data["party_id"], data["id"]
    _check_party(partner_id, country_code, party_id)
    fields = _fields(data, partial=False)
    fields["charging_periods"] = list(data.get("charging_periods") or [])
    stamp = {"source_partner_id": partner_id, "received_at": timezone.now(), "raw": jsonable(raw)}
    with transaction.atomic():
        existing = _locked(country_code, party_id, session_id)
        if existing is None:
            try:
                with transaction.atomic():  # savepoint: a concurrent PUT may create the same session first
                    session = ChargingSession.objects.create(
                        country_code=country_code, party_id=party_id, session_id=session_id, **fields, **stamp
                    )
                return ReceiveResult(session, ReceiveOutcome.CREATED)
            except IntegrityError:
                existing = _locked(country_code, party_id, session_id)
                if existing is None:
                    raise
        if existing.source_partner_id is None:
            raise InvalidInput(f"session {session_id} is one of our own sessions", field="id")
        if fields["last_updated"] < existing.last_updated:
            return ReceiveResult(existing, ReceiveOutcome.STALE)
        for name, value in {**fields, **stamp}.items():
            setattr(existing, name, value)
        existing.save()
        return ReceiveResult(existing, ReceiveOutcome.UPDATED)


def session_patch_from_partner(
    *, partner_id: int, country_code: str, party_id: str, session_id: str, data: Mapping, raw=None
) -> ReceiveResult:
    """Apply a Session PATCH: the fields it carries replace ours, its ``charging_periods`` are appended
    (mod_sessions.asciidoc, PATCH Method). Raises ``ObjectNotFound`` for a session we do not hold (the CPO then
    PUTs it, as transport_and_format.asciidoc advises)."""
    _check_party(partner_id, country_code, party_id)
    fields = _fields(data, partial=True)
    with transaction.atomic():
        session = _locked(country_code, party_id, session_id)
        if session is None or session.source_partner_id is None:
            raise ObjectNotFound(f"Unknown session {country_code}/{party_id}/{session_id}")
        if fields["last_updated"] < session.last_updated:
            return ReceiveResult(session, ReceiveOutcome.STALE)
        for name, value in fields.items():
            setattr(session, name, value)
        if data.get("charging_periods"):
            session.charging_periods = list(session.charging_periods or []) + list(data["charging_periods"])
        session.source_partner_id = partner_id
        session.received_at = timezone.now()
        session.raw = jsonable(raw)
        session.save()
        return ReceiveResult(session, ReceiveOutcome.UPDATED)


def sessions_ingest_page(*, partner_id: int, objects: list) -> dict:
    """The pull engine's ingest callback: validate and store one page of a CPO's Sessions (Sender GET list). One
    bad session is reported and skipped, never sinks the page."""
    accepted, ignored, rejected = 0, 0, []
    for index, item in enumerate(objects):
        label = item.get("id") if isinstance(item, Mapping) and item.get("id") else f"#{index}"
        try:
            data = validate_session(item)
            result = session_put_from_partner(partner_id=partner_id, data=data, raw=item)
        except DrfValidationError as exc:
            rejected.append(f"session {label}: {'; '.join(flatten_errors(exc.detail))}")
            continue
        except InvalidInput as exc:
            rejected.append(f"session {label}: {exc.message}")
            continue
        if result.outcome == ReceiveOutcome.STALE:
            ignored += 1
        else:
            accepted += 1
    return {"accepted": accepted, "ignored": ignored, "rejected": rejected}
