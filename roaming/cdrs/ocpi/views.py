"""CDRs module endpoints (mod_cdrs.asciidoc, "Interfaces and Endpoints").

* Sender (our CPO): ``GET {cdrs}`` — our CDRs for the calling eMSP's tokens only, paginated with
  ``date_from``/``date_to`` on ``last_updated`` (the creation time: CDRs never change).
* Receiver (our eMSP): ``POST {cdrs}`` stores a CPO's CDR and answers 201 with the ``Location`` of the stored CDR;
  ``GET {cdrs}/{country_code}/{party_id}/{cdr_id}`` is that URL ("No structure defined. This is open to the eMSP").
  PUT, PATCH and DELETE are n/a: CDRs cannot be replaced, updated or removed.
"""

from collections.abc import Mapping
from urllib.parse import quote

from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.cdrs import selectors, services
from roaming.cdrs.ocpi.render import cdr_to_ocpi
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.ocpi import registry
from roaming.ocpi.exceptions import InvalidParameters, NotFound, flatten_errors
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.tariffs.ocpi.render import jsonable


def stored_cdr_url(cdr) -> str:
    """Where a CPO reads back the CDR it posted (the ``Location`` header)."""
    base = registry.endpoint_url("2.2.1", "cdrs", "RECEIVER")
    return f"{base}/{cdr.country_code}/{cdr.party_id}/{quote(cdr.cdr_id, safe='')}"


class CdrSenderListView(OcpiListView):
    ocpi_module = "cdrs"

    def get_queryset(self):
        return selectors.cdr_list_for_emsp(partner_id=self.caller.partner_id)

    def serialize(self, items):
        return [cdr_to_ocpi(cdr) for cdr in items]


class CdrReceiverView(OcpiView):
    ocpi_module = "cdrs"

    def post(self, request):
        body = request.data
        if isinstance(body, list) and len(body) == 1:  # a single object wrapped in a list: parse leniently
            body = body[0]
        if not isinstance(body, Mapping):
            raise InvalidParameters("The request body must be a CDR object")
        raw = jsonable(body)
        try:
            data = validate_cdr(body)
        except DrfValidationError as exc:
            problems = flatten_errors(exc.detail)
            # Kept (committed) before we answer: finance reviews it, the CPO's corrected resend releases it.
            services.cdr_quarantine(partner_id=self.caller.partner_id, raw=raw, problems=problems)
            raise InvalidParameters("; ".join(problems))
        result = services.cdr_receive_from_partner(partner_id=self.caller.partner_id, data=data, raw=raw)
        headers = {"Location": stored_cdr_url(result.cdr)}
        if result.created:
            return self.ok(http_status=201, headers=headers)
        return self.ok(headers=headers, status_message="CDR already received; nothing stored")


class CdrReceiverObjectView(OcpiView):
    ocpi_module = "cdrs"

    def get(self, request, country_code, party_id, cdr_id):
        country_code, party_id = self.check_party(country_code, party_id)
        cdr = selectors.cdr_get_received(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        if cdr is None:
            raise NotFound(f"Unknown CDR {country_code}/{party_id}/{cdr_id}")
        return self.ok(cdr_to_ocpi(cdr))
