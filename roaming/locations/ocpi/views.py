"""Locations module endpoints (OCPI 2.2.1 mod_locations.asciidoc).

Sender interface (our CPO): ``GET {u}`` paginated list and ``GET {u}/{location_id}[/{evse_uid}[/{connector_id}]]``,
only over our own Locations. Receiver interface (our eMSP): ``GET/PUT/PATCH
{u}/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]`` over what the calling CPO sent us.
"""

from django.conf import settings

from roaming.locations import selectors
from roaming.locations.ocpi import serializers
from roaming.locations.ocpi.render import connector_to_ocpi, evse_to_ocpi, location_to_ocpi
from roaming.locations.services import receive
from roaming.ocpi.exceptions import InvalidParameters, NotFound, UnknownLocation
from roaming.ocpi.views import OcpiListView, OcpiView


class LocationsView(OcpiView):
    """Base of the module's views: Location lookups that answer 404/2003 (Unknown Location) and 404/2000."""

    ocpi_module = "locations"
    #: True: our own Locations (Sender); False: Locations partners sent us (Receiver)
    own = True

    def handle_exception(self, exc):
        if isinstance(exc, receive.LocationNotFound):
            exc = UnknownLocation(exc.message)
        return super().handle_exception(exc)

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
        # Paginate primary keys only; the page is then read as light rows (see selectors.locations_for_render).
        return (
            selectors.location_list(own=True, country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID)
            .prefetch_related(None)
            .values_list("pk", flat=True)
        )

    def serialize(self, items: list) -> list:
        return [location_to_ocpi(location) for location in selectors.locations_for_render(items)]


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


_HTTP_STATUS = {receive.WriteOutcome.CREATED: 201, receive.WriteOutcome.UPDATED: 200, receive.WriteOutcome.IGNORED: 200}


class _ReceiverView(LocationsView):
    own = False

    def body(self) -> dict:
        data = self.request.data
        if isinstance(data, list) and len(data) == 1:  # a single object wrapped in a list: be lenient
            data = data[0]
        if not isinstance(data, dict):
            raise InvalidParameters("request body: a JSON object is required")
        return data

    def push(self, service, serializer_class, *, country_code: str, party_id: str, raw: bool = False, **ids):
        """Check the party, validate the body, call the receive ``service`` with the URL's ids, answer."""
        country_code, party_id = self.check_party(country_code, party_id)
        body = self.body()
        serializer = serializer_class(data=body)
        serializer.is_valid(raise_exception=True)
        extra = {"raw": body} if raw else {}
        outcome = service(
            partner_id=self.caller.partner_id,
            country_code=country_code,
            party_id=party_id,
            data=serializer.validated_data,
            **ids,
            **extra,
        )
        # PUT/PATCH replies carry no data (transport_and_format errata: "send no data where none is defined").
        message = "Ignored: last_updated is older than the stored object" if outcome == "ignored" else None
        return self.ok(status_message=message, http_status=_HTTP_STATUS[outcome])


class LocationReceiverView(_ReceiverView):
    def get(self, request, country_code: str, party_id: str, location_id: str):
        country_code, party_id = self.check_party(country_code, party_id)
        return self.ok(location_to_ocpi(self.get_location(country_code, party_id, location_id)))

    def put(self, request, **kwargs):
        return self.push(receive.location_put_from_partner, serializers.LocationSerializer, raw=True, **kwargs)

    def patch(self, request, **kwargs):
        return self.push(receive.location_patch_from_partner, serializers.LocationPatchSerializer, **kwargs)


class EvseReceiverView(_ReceiverView):
    def get(self, request, country_code: str, party_id: str, location_id: str, evse_uid: str):
        country_code, party_id = self.check_party(country_code, party_id)
        location = self.get_location(country_code, party_id, location_id, with_evses=False)
        return self.ok(evse_to_ocpi(self.get_evse(location, evse_uid)))

    def put(self, request, **kwargs):
        return self.push(receive.evse_put_from_partner, serializers.EvseSerializer, **kwargs)

    def patch(self, request, **kwargs):
        return self.push(receive.evse_patch_from_partner, serializers.EvsePatchSerializer, **kwargs)


class ConnectorReceiverView(_ReceiverView):
    def get(self, request, country_code: str, party_id: str, location_id: str, evse_uid: str, connector_id: str):
        country_code, party_id = self.check_party(country_code, party_id)
        location = self.get_location(country_code, party_id, location_id, with_evses=False)
        evse = self.get_evse(location, evse_uid)
        return self.ok(connector_to_ocpi(self.get_connector(evse, connector_id)))

    def put(self, request, **kwargs):
        return self.push(receive.connector_put_from_partner, serializers.ConnectorSerializer, **kwargs)

    def patch(self, request, **kwargs):
        return self.push(receive.connector_patch_from_partner, serializers.ConnectorPatchSerializer, **kwargs)
