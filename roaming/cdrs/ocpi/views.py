"""CDRs module endpoints (mod_cdrs.asciidoc, "Interfaces and Endpoints"), on the partner-object kit.

* Sender (our CPO): ``GET {cdrs}`` — our CDRs for the calling eMSP's tokens only, paginated with
  ``date_from``/``date_to`` on ``last_updated`` (the creation time: CDRs never change).
* Receiver (our eMSP): ``POST {cdrs}`` stores a CPO's CDR and answers 201 with the ``Location`` of the stored CDR;
  ``GET {cdrs}/{country_code}/{party_id}/{cdr_id}`` is that URL ("No structure defined. This is open to the eMSP").
  PUT, PATCH and DELETE are n/a: CDRs cannot be replaced, updated or removed (405).
  A CDR that breaks the spec is answered 2001 naming the problems, as the kit does, and kept in the quarantine.
"""

from collections.abc import Mapping
from urllib.parse import quote

from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.cdrs import selectors, services
from roaming.cdrs.ocpi.render import cdr_to_ocpi, cdrs_to_ocpi
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.core.exceptions import InvalidInput
from roaming.ocpi.exceptions import InvalidParameters, flatten_errors
from roaming.ocpi.kit.receive import storable
from roaming.ocpi.kit.views import PartnerCollectionReceiverView, PartnerObjectReceiverView
from roaming.ocpi.views import OcpiListView


def receive_checked(*, country_code: str, party_id: str, **kwargs):
    """The kit has checked the body's party against the caller's CPO roles: the service need not ask again."""
    return services.cdr_receive_from_partner(**kwargs, party_checked=True)


class CdrSenderListView(OcpiListView):
    ocpi_module = "cdrs"

    def get_queryset(self):
        # Paginate primary keys only; the page is then read as its stored JSON (selectors.cdrs_for_render).
        return selectors.cdr_list_for_emsp(partner_id=self.caller.partner_id).values_list("pk", flat=True)

    def serialize(self, items):
        return cdrs_to_ocpi(selectors.cdrs_for_render(items))


class CdrReceiverObjectView(PartnerObjectReceiverView):
    ocpi_module = "cdrs"
    object_name = "CDR"
    selector = staticmethod(selectors.cdr_get_received)
    render = staticmethod(cdr_to_ocpi)


class CdrReceiverView(PartnerCollectionReceiverView):
    ocpi_module = "cdrs"
    serializers = {"POST": validate_cdr}
    services = {"POST": receive_checked}

    def object_path(self, obj) -> str:
        return f"{obj.country_code}/{obj.party_id}/{quote(obj.cdr_id, safe='')}"

    def post(self, request):
        try:
            return super().post(request)
        except DrfValidationError as exc:
            problems = flatten_errors(exc.detail)
            sent = request.data[0] if isinstance(request.data, list) and len(request.data) == 1 else request.data
            if isinstance(sent, Mapping):
                try:
                    raw = storable(sent)
                except InvalidInput as unstorable:
                    problems.append(unstorable.message)
                else:
                    # Kept (committed) before we answer: finance reviews it, the CPO's corrected resend releases it.
                    services.cdr_quarantine(partner_id=self.caller.partner_id, raw=raw, problems=problems)
            raise InvalidParameters("; ".join(problems))
