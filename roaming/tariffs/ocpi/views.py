"""Tariffs module endpoints (mod_tariffs.asciidoc, "Interfaces and Endpoints").

* Sender (our CPO): ``GET {tariffs}`` — our own tariffs, paginated with ``date_from``/``date_to``. The 2.2.1
  Sender interface has no single-object GET (only the list), so none is served.
* Receiver (our eMSP): ``GET``/``PUT``/``DELETE {tariffs}/{country_code}/{party_id}/{tariff_id}``; no POST, no
  PATCH in 2.2.1.
"""

from roaming.ocpi.kit.views import PartnerObjectReceiverView
from roaming.ocpi.views import OcpiListView
from roaming.tariffs import selectors, services
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tariffs.ocpi.serializers import validate_tariff


class TariffSenderListView(OcpiListView):
    ocpi_module = "tariffs"

    def get_queryset(self):
        return selectors.tariff_list(own=True)

    def serialize(self, items):
        return [tariff_to_ocpi(tariff) for tariff in items]


class TariffReceiverView(PartnerObjectReceiverView):
    ocpi_module = "tariffs"
    object_name = "tariff"
    body_ids = {"tariff_id": "id"}
    selector = staticmethod(selectors.tariff_received)
    render = staticmethod(tariff_to_ocpi)
    serializers = {"PUT": validate_tariff}
    services = {"PUT": services.tariff_put_from_partner, "DELETE": services.tariff_delete_from_partner}
