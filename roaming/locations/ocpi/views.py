"""Locations module endpoints (OCPI 2.2.1 mod_locations.asciidoc).

Sender interface (our CPO): ``GET {u}`` paginated list and ``GET {u}/{location_id}[/{evse_uid}[/{connector_id}]]``,
only over our own Locations. Receiver interface (our eMSP): ``GET/PUT/PATCH
{u}/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]`` over what the calling CPO sent us.
"""

import orjson
from django.conf import settings

from roaming.locations import selectors
from roaming.locations.ocpi import serializers
from roaming.locations.ocpi.render import connector_to_ocpi, evse_to_ocpi, location_to_ocpi
from roaming.locations.ocpi.render_sql import locations_json
from roaming.locations.services import receive
from roaming.ocpi.exceptions import NotFound, UnknownLocation
from roaming.ocpi.kit.views import PartnerObjectReceiverView
from roaming.ocpi.views import OcpiListView, OcpiView


class LocationsView(OcpiView):
    """Base of the module's views: Location lookups that answer 404/2003 (Unknown Location) and 404/2000."""

    ocpi_module = "locations"
    #: True: our own Locations (Sender); False: Locations partners sent us (Receiver)
    own = True

    def get_location(self, country_code: str, party_id: str, location_id: str, *, with_evses: bool = True):
        location = selectors.location_get(
            country_code=country_code, party_id=party_id, location_id=location_id, own=self.own, with_evses=with_evses
        )
        if location is None:
            raise UnknownLocation(f"Location {location_id} is unknown")
        return location

    def get_evse(self, location, evse_uid: str):
        evse = selectors.evse_get(location=location, evse_uid=evse_uid)
        if evse is None:
            raise NotFound(f"EVSE {evse_uid} of Location {location.location_id} is unknown")
        return evse

    def get_connector(self, evse, connector_id: str):
        connector = selectors.connector_get(evse=evse, connector_id=connector_id)
        if connector is None:
            raise NotFound(f"Connector {connector_id} of EVSE {evse.uid} is unknown")
        return connector


# --- Sender (CPO) -----------------------------------------------------------------------------------------------


class LocationSenderListView(OcpiListView, LocationsView):
    ordering = ("pk",)
    date_field = "last_updated"

    def get_queryset(self):
        # Paginate primary keys only; PostgreSQL then writes the page's JSON (render_sql).
        return (
            selectors.location_list(own=True, country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID)
            .prefetch_related(None)
            .values_list("pk", flat=True)
        )

    def serialize(self, items: list) -> orjson.Fragment:
        # The page's JSON text goes into the envelope as is: Python never parses nor re-encodes it.
        return orjson.Fragment(locations_json(items))


class _SenderObjectView(LocationsView):
    def our_location(self, location_id: str, *, with_evses: bool = True):
        return self.get_location(settings.OCPI_COUNTRY_CODE, settings.OCPI_PARTY_ID, location_id, with_evses=with_evses)


class LocationSenderDetailView(_SenderObjectView):
    def get(self, request, location_id: str):
        return self.ok(location_to_ocpi(self.our_location(location_id)))


class EvseSenderDetailView(_SenderObjectView):
    def get(self, request, location_id: str, evse_uid: str):
        evse = self.get_evse(self.our_location(location_id, with_evses=False), evse_uid)
        return self.ok(evse_to_ocpi(evse))


class ConnectorSenderDetailView(_SenderObjectView):
    def get(self, request, location_id: str, evse_uid: str, connector_id: str):
        evse = self.get_evse(self.our_location(location_id, with_evses=False), evse_uid)
        return self.ok(connector_to_ocpi(self.get_connector(evse, connector_id)))


# --- Receiver (eMSP) --------------------------------------------------------------------------------------------


class _LocationReceiverView(PartnerObjectReceiverView):
    ocpi_module = "locations"
    body_has_party = False
    keep_raw = ()
    errors = {selectors.LocationNotFound: UnknownLocation}


class LocationReceiverView(_LocationReceiverView):
    body_has_party = True
    body_ids = {"location_id": "id"}
    keep_raw = ("PUT",)
    not_found = UnknownLocation
    object_name = "Location"
    selector = staticmethod(selectors.location_received)
    render = staticmethod(location_to_ocpi)
    serializers = {"PUT": serializers.LocationSerializer, "PATCH": serializers.LocationPatchSerializer}
    services = {"PUT": receive.location_put_from_partner, "PATCH": receive.location_patch_from_partner}


class EvseReceiverView(_LocationReceiverView):
    body_ids = {"evse_uid": "uid"}
    object_name = "EVSE"
    selector = staticmethod(selectors.evse_received)
    render = staticmethod(evse_to_ocpi)
    serializers = {"PUT": serializers.EvseSerializer, "PATCH": serializers.EvsePatchSerializer}
    services = {"PUT": receive.evse_put_from_partner, "PATCH": receive.evse_patch_from_partner}


class ConnectorReceiverView(_LocationReceiverView):
    body_ids = {"connector_id": "id"}
    object_name = "Connector"
    selector = staticmethod(selectors.connector_received)
    render = staticmethod(connector_to_ocpi)
    serializers = {"PUT": serializers.ConnectorSerializer, "PATCH": serializers.ConnectorPatchSerializer}
    services = {"PUT": receive.connector_put_from_partner, "PATCH": receive.connector_patch_from_partner}
