"""Location, EVSE and Connector as OCPI 2.2.1 JSON (mod_locations.asciidoc, "Object description").

Plain functions building plain dicts, because partners pull tens of thousands of Locations and a DRF serializer
costs several times more per object. Emit strictly: keys in the spec's order, optional fields left out when empty
(``?``: absent = not set; ``*``: absent = empty list), DateTimes as ``YYYY-MM-DDTHH:MM:SSZ``, coordinates as strings.
Nested classes are stored as the spec's JSON already validated (see ``ocpi/serializers.py``) and are emitted as is.

Callers pass rows from ``roaming.locations.selectors``: children are read through ``.all()`` so the selector's
``prefetch_related`` serves them and a page costs a constant number of queries.
"""

from roaming.locations.models import EVSE, Connector, Location
from roaming.ocpi.datetimes import format_datetime


def connector_to_ocpi(connector: Connector) -> dict:
    """Connector object (mod_locations.asciidoc, Connector Object)."""
    data = {
        "id": connector.connector_id,
        "standard": connector.standard,
        "format": connector.format,
        "power_type": connector.power_type,
        "max_voltage": connector.max_voltage,
        "max_amperage": connector.max_amperage,
    }
    if connector.max_electric_power is not None:
        data["max_electric_power"] = connector.max_electric_power
    if connector.tariff_ids:
        data["tariff_ids"] = connector.tariff_ids
    if connector.terms_and_conditions:
        data["terms_and_conditions"] = connector.terms_and_conditions
    data["last_updated"] = format_datetime(connector.last_updated)
    return data


def evse_to_ocpi(evse: EVSE) -> dict:
    """EVSE object (mod_locations.asciidoc, EVSE Object). ``internal_id`` is ours and never sent."""
    data: dict = {"uid": evse.uid}
    if evse.evse_id:
        data["evse_id"] = evse.evse_id
    data["status"] = evse.status
    if evse.status_schedule:
        data["status_schedule"] = evse.status_schedule
    if evse.capabilities:
        data["capabilities"] = evse.capabilities
    # connectors is "+" (required): always present, even in the (invalid) case of an EVSE without connectors.
    data["connectors"] = [connector_to_ocpi(connector) for connector in evse.connectors.all()]
    if evse.floor_level:
        data["floor_level"] = evse.floor_level
    if evse.latitude and evse.longitude:
        data["coordinates"] = {"latitude": evse.latitude, "longitude": evse.longitude}
    if evse.physical_reference:
        data["physical_reference"] = evse.physical_reference
    if evse.directions:
        data["directions"] = evse.directions
    if evse.parking_restrictions:
        data["parking_restrictions"] = evse.parking_restrictions
    if evse.images:
        data["images"] = evse.images
    data["last_updated"] = format_datetime(evse.last_updated)
    return data


def location_to_ocpi(location: Location) -> dict:
    """Location object (mod_locations.asciidoc, Location Object) with its EVSEs and Connectors."""
    data: dict = {
        "country_code": location.country_code,
        "party_id": location.party_id,
        "id": location.location_id,
        "publish": location.publish,
    }
    # "This field may only be used when the publish field is set to false."
    if location.publish_allowed_to and not location.publish:
        data["publish_allowed_to"] = location.publish_allowed_to
    if location.name:
        data["name"] = location.name
    data["address"] = location.address
    data["city"] = location.city
    if location.postal_code:
        data["postal_code"] = location.postal_code
    if location.state:
        data["state"] = location.state
    data["country"] = location.country
    data["coordinates"] = {"latitude": location.latitude, "longitude": location.longitude}
    if location.related_locations:
        data["related_locations"] = location.related_locations
    if location.parking_type:
        data["parking_type"] = location.parking_type
    evses = [evse_to_ocpi(evse) for evse in location.evses.all()]
    if evses:
        data["evses"] = evses
    if location.directions:
        data["directions"] = location.directions
    if location.operator:
        data["operator"] = location.operator
    if location.suboperator:
        data["suboperator"] = location.suboperator
    if location.owner:
        data["owner"] = location.owner
    if location.facilities:
        data["facilities"] = location.facilities
    data["time_zone"] = location.time_zone
    if location.opening_times:
        data["opening_times"] = location.opening_times
    if location.charging_when_closed is not None:
        data["charging_when_closed"] = location.charging_when_closed
    if location.images:
        data["images"] = location.images
    if location.energy_mix:
        data["energy_mix"] = location.energy_mix
    data["last_updated"] = format_datetime(location.last_updated)
    return data
