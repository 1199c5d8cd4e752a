"""Tariffs module endpoints (mod_tariffs.asciidoc, "Interfaces and Endpoints").

* Sender (our CPO): ``GET {tariffs}`` — our own tariffs, paginated with ``date_from``/``date_to``. The 2.2.1
  Sender interface has no single-object GET (only the list), so none is served.
* Receiver (our eMSP): ``GET``/``PUT``/``DELETE {tariffs}/{country_code}/{party_id}/{tariff_id}``; no POST, no
  PATCH in 2.2.1.
"""

from collections.abc import Mapping

from roaming.ocpi.exceptions import InvalidParameters, NotFound
from roaming.ocpi.fields import cistring_equal
from roaming.ocpi.views import OcpiListView, OcpiView
from roaming.tariffs import selectors, services
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tariffs.ocpi.serializers import validate_tariff


class TariffSenderListView(OcpiListView):
    ocpi_module = "tariffs"

    def get_queryset(self):
        return selectors.tariff_list(own=True)

    def serialize(self, items):
        return [tariff_to_ocpi(tariff) for tariff in items]


class TariffReceiverView(OcpiView):
    ocpi_module = "tariffs"

    def _get_or_404(self, country_code, party_id, tariff_id):
        tariff = selectors.tariff_get(country_code=country_code, party_id=party_id, tariff_id=tariff_id, own=False)
        if tariff is None:
            raise NotFound(f"Unknown tariff {country_code}/{party_id}/{tariff_id}")
        return tariff

    def get(self, request, country_code, party_id, tariff_id):
        country_code, party_id = self.check_party(country_code, party_id)
        return self.ok(tariff_to_ocpi(self._get_or_404(country_code, party_id, tariff_id)))

    def put(self, request, country_code, party_id, tariff_id):
        country_code, party_id = self.check_party(country_code, party_id)
        body = request.data
        if isinstance(body, list) and len(body) == 1:  # a single object wrapped in a list: parse leniently
            body = body[0]
        if not isinstance(body, Mapping):
            raise InvalidParameters("The request body must be a Tariff object")
        # The URL names the object (transport_and_format.asciidoc, client owned objects): fill ids the body omits,
        # refuse ids that contradict it.
        sent, body = body, {**body}
        for field, value in (("country_code", country_code), ("party_id", party_id), ("id", tariff_id)):
            if body.get(field) is None:
                body[field] = value
            elif not isinstance(body[field], str) or not cistring_equal(body[field], value):
                raise InvalidParameters(f"{field}: '{body[field]}' does not match '{value}' in the URL")
        data = validate_tariff(body)
        result = services.tariff_put_from_partner(partner_id=self.caller.partner_id, data=data, raw=sent)
        if result.outcome == services.PutOutcome.STALE:
            return self.ok(status_message="Older than the tariff we hold (last_updated); ignored")
        return self.ok(http_status=201 if result.created else 200)

    def delete(self, request, country_code, party_id, tariff_id):
        country_code, party_id = self.check_party(country_code, party_id)
        services.tariff_delete_from_partner(
            partner_id=self.caller.partner_id, country_code=country_code, party_id=party_id, tariff_id=tariff_id
        )
        return self.ok()
