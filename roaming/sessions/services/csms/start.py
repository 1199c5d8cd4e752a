"""A charge starts: the OCPI Session built from our charger, the token cache and the connector's tariff, and PUT
to the owning eMSP."""

from uuid import uuid4

from django.conf import settings
from django.db import IntegrityError, transaction

from roaming.core.exceptions import InvalidInput
from roaming.locations.models import EVSE, Connector
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import PartnerRole
from roaming.sessions.choices import AuthMethod, SessionStatus
from roaming.sessions.models import ChargingSession
from roaming.sessions.services.announce import jsonable, session_push_put
from roaming.sessions.services.csms.common import CsmsResult, Outcome, _not_future, _now, _reprice, session_get_own
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tariffs.selectors import tariff_get
from roaming.tokens.selectors import token_find_cached, token_get_own


def _charger(*, charger_id: str, evse_uid: str, connector_id: str) -> Connector:
    evses = EVSE.objects.filter(location__source_partner__isnull=True).select_related("location")
    if charger_id:
        evse = evses.filter(internal_id=charger_id).first()
        field = "charger_id"
    else:
        evse = evses.filter(uid__iexact=evse_uid).first()
        field = "evse_uid"
    if evse is None:
        raise InvalidInput(f"no charger of ours is known as '{charger_id or evse_uid}'", field=field)
    connector = Connector.objects.filter(evse=evse, connector_id__iexact=connector_id).first()
    if connector is None:
        raise InvalidInput(f"EVSE {evse.uid} has no connector '{connector_id}'", field="connector_id")
    connector.evse = evse
    return connector


def _cdr_token(data: dict) -> dict:
    """CdrToken from the token cache (the eMSP's country/party and contract); the CSMS may name them itself for a
    token the cache does not hold (an ad hoc or offline-authorized charge)."""
    uid, type_ = data["token_uid"], data.get("token_type") or "RFID"
    token = token_find_cached(uid=uid, type=type_) or token_get_own(uid=uid, type=type_)
    given = {k: data.get(k) for k in ("country_code", "party_id", "contract_id")}
    if token is not None:
        return {
            "country_code": token.country_code,
            "party_id": token.party_id,
            "uid": token.uid,
            "type": token.type,
            "contract_id": token.contract_id,
        }
    if not all(given.values()):
        raise InvalidInput(
            f"token {uid} ({type_}) is not in the token cache; give country_code, party_id and contract_id",
            field="token_uid",
        )
    return {
        "country_code": given["country_code"].upper(),
        "party_id": given["party_id"].upper(),
        "uid": uid,
        "type": type_,
        "contract_id": given["contract_id"],
    }


def _tariff_at_start(connector: Connector) -> dict | None:
    """The connector's tariff now (mod_tariffs.asciidoc: a session keeps the tariff valid at its start). A connector
    lists its tariffs; the first one of ours that exists and is not a charging-profile tariff applies."""
    location = connector.evse.location
    for tariff_id in connector.tariff_ids or []:
        tariff = tariff_get(
            country_code=location.country_code, party_id=location.party_id, tariff_id=str(tariff_id), own=True
        )
        if tariff is not None and not (tariff.type or "").startswith("PROFILE_"):
            return jsonable(tariff_to_ocpi(tariff))
    return None


def _emsp_partner_id(cdr_token: dict) -> int | None:
    """The connection of the eMSP owning the token: a party that unregistered and registered again has an old,
    dead partner row too; the session goes to the live one (a suspended one keeps its pushes for later)."""
    return (
        PartnerRole.objects.filter(
            country_code=cdr_token["country_code"],
            party_id=cdr_token["party_id"],
            role="EMSP",
            partner__status__in=[PartnerStatus.REGISTERED, PartnerStatus.SUSPENDED],
        )
        .order_by("-partner_id")
        .values_list("partner_id", flat=True)
        .first()
    )


def session_start_from_csms(*, transaction_id: str, data: dict) -> CsmsResult:
    """A charge started (or was reserved): create the Session and PUT it to the owning eMSP.

    ``data``: token_uid, token_type, charger_id or evse_uid, connector_id, start_date_time, meter_start (Wh), and
    optionally authorization_reference (from ``/api/v1/authorize``), auth_method, status, meter_id and the token's
    country_code/party_id/contract_id when the cache does not hold it."""
    existing = ChargingSession.objects.filter(csms_transaction_id=transaction_id).first()
    if existing is not None:
        return CsmsResult(existing, Outcome.IGNORED, "already started")
    start = data["start_date_time"]
    _not_future(start, "start_date_time")
    connector = _charger(
        charger_id=data.get("charger_id") or "", evse_uid=data.get("evse_uid") or "", connector_id=data["connector_id"]
    )
    cdr_token = _cdr_token(data)
    tariff = _tariff_at_start(connector)
    reference = data.get("authorization_reference") or ""
    auth_method = data.get("auth_method") or (AuthMethod.AUTH_REQUEST if reference else AuthMethod.WHITELIST)
    location = connector.evse.location
    session = ChargingSession(
        country_code=settings.OCPI_COUNTRY_CODE,
        party_id=settings.OCPI_PARTY_ID,
        session_id=str(uuid4()),
        start_date_time=start,
        cdr_token=cdr_token,
        auth_method=auth_method,
        authorization_reference=reference,
        location_id=location.location_id,
        evse_uid=connector.evse.uid,
        connector_id=connector.connector_id,
        meter_id=data.get("meter_id") or "",
        currency=(tariff or {}).get("currency") or settings.SESSIONS_DEFAULT_CURRENCY,
        status=data.get("status") or SessionStatus.ACTIVE,
        status_changed_at=start,
        last_updated=_now(),
        token_uid=cdr_token["uid"],
        token_type=cdr_token["type"],
        contract_id=cdr_token["contract_id"],
        emsp_country_code=cdr_token["country_code"],
        emsp_party_id=cdr_token["party_id"],
        own_location=location,
        own_evse=connector.evse,
        own_connector=connector,
        csms_transaction_id=transaction_id,
        emsp_partner_id=_emsp_partner_id(cdr_token),
        meter_start_wh=data["meter_start"],
        tariff=tariff,
    )
    _reprice(session)
    try:
        with transaction.atomic():
            session_push_put(session=session)
            session.save()
    except IntegrityError:  # the same start, twice at once: the other one won
        return CsmsResult(session_get_own(transaction_id=transaction_id), Outcome.IGNORED, "already started")
    return CsmsResult(session, Outcome.CREATED)
