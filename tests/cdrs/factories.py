"""CDR payloads and stored CDRs for the cdrs tests."""

import copy
import json
from pathlib import Path

from django.conf import settings

from roaming.cdrs.choices import Direction
from roaming.cdrs.ocpi.render import cdr_fields
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.cdrs.services import cdr_create_own, cdr_store
from tests.data import OCPI_EXAMPLES

DATA = Path(__file__).resolve().parent / "data"

#: a 2-hour TIME tariff at 2.00/h excl. 10% VAT, billed per 5 minutes (the spec's example tariff 12)
TARIFF = {
    "country_code": "BE",
    "party_id": "BEC",
    "id": "12",
    "currency": "EUR",
    "elements": [{"price_components": [{"type": "TIME", "price": 2.00, "vat": 10.0, "step_size": 300}]}],
    "last_updated": "2015-02-02T14:15:01Z",
}


def spec_example() -> dict:
    return json.loads((OCPI_EXAMPLES / "cdr_example.json").read_text())


def corrected_example() -> dict:
    """The spec's example with latitude/longitude put back in place (see data/README.md)."""
    return json.loads((DATA / "cdr_example_corrected.json").read_text())


def cdr_payload(**changes) -> dict:
    """A valid CDR of CPO BE/BEC for a token of eMSP DE/TNM (the corrected spec example), with ``changes``."""
    data = copy.deepcopy(corrected_example())
    data.update(changes)
    return data


def own_cdr_payload(cdr_id="CDR1", *, token_party=("DE", "TNM"), total_excl="4.00", total_incl="4.40", **changes):
    """One of our CPO's CDRs (our country_code/party_id), priced like the spec example."""
    data = cdr_payload(country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID, id=cdr_id, **changes)
    data["cdr_token"] = {**data["cdr_token"], "country_code": token_party[0], "party_id": token_party[1]}
    data["tariffs"] = [{**TARIFF, "country_code": settings.OCPI_COUNTRY_CODE, "party_id": settings.OCPI_PARTY_ID}]
    data["total_cost"] = {"excl_vat": total_excl, "incl_vat": total_incl}
    return data


def own_cdr(cdr_id="CDR1", **kwargs):
    """Store one of our CDRs through the service that stores and pushes them."""
    return cdr_create_own(data=validate_cdr(own_cdr_payload(cdr_id, **kwargs)))


def received_cdr(partner, cdr_id="R1", **changes):
    """Store a CDR as received from CPO ``partner`` (validated, through the storing service)."""
    data = validate_cdr(cdr_payload(id=cdr_id, **changes))
    return cdr_store(fields=cdr_fields(data), direction=Direction.RECEIVED, partner_id=partner.pk, raw=changes)
