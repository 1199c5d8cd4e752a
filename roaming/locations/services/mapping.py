"""OCPI Location, EVSE and Connector members mapped to our model fields (mod_locations.asciidoc, "Object
description"), for the receive services: which field each member fills, what a PUT stores when it is absent, and
which fields an upsert rewrites."""

from collections.abc import Callable
from typing import Any

# OCPI member -> (model field, value a PUT stores when the member is absent)
LOCATION_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "country_code": ("country_code", str),
    "party_id": ("party_id", str),
    "id": ("location_id", str),
    "publish": ("publish", bool),
    "publish_allowed_to": ("publish_allowed_to", list),
    "name": ("name", str),
    "address": ("address", str),
    "city": ("city", str),
    "postal_code": ("postal_code", str),
    "state": ("state", str),
    "country": ("country", str),
    "related_locations": ("related_locations", list),
    "parking_type": ("parking_type", str),
    "directions": ("directions", list),
    "operator": ("operator", lambda: None),
    "suboperator": ("suboperator", lambda: None),
    "owner": ("owner", lambda: None),
    "facilities": ("facilities", list),
    "time_zone": ("time_zone", str),
    "opening_times": ("opening_times", lambda: None),
    "charging_when_closed": ("charging_when_closed", lambda: None),
    "images": ("images", list),
    "energy_mix": ("energy_mix", lambda: None),
    "last_updated": ("last_updated", lambda: None),
}
EVSE_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "uid": ("uid", str),
    "evse_id": ("evse_id", str),
    "status": ("status", str),
    "status_schedule": ("status_schedule", list),
    "capabilities": ("capabilities", list),
    "floor_level": ("floor_level", str),
    "physical_reference": ("physical_reference", str),
    "directions": ("directions", list),
    "parking_restrictions": ("parking_restrictions", list),
    "images": ("images", list),
    "last_updated": ("last_updated", lambda: None),
}
CONNECTOR_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "id": ("connector_id", str),
    "standard": ("standard", str),
    "format": ("format", str),
    "power_type": ("power_type", str),
    "max_voltage": ("max_voltage", lambda: None),
    "max_amperage": ("max_amperage", lambda: None),
    "max_electric_power": ("max_electric_power", lambda: None),
    "tariff_ids": ("tariff_ids", list),
    "terms_and_conditions": ("terms_and_conditions", str),
    "last_updated": ("last_updated", lambda: None),
}
LOCATION_KEY = ["country_code", "party_id", "location_id"]
LOCATION_UPDATE_FIELDS = [
    *(attr for attr, _ in LOCATION_FIELDS.values() if attr not in LOCATION_KEY),
    "latitude",
    "longitude",
    "source_partner",
    "received_at",
    "raw",
    "updated_at",
]
EVSE_UPDATE_FIELDS = [
    *(attr for attr, _ in EVSE_FIELDS.values() if attr != "uid"),
    "latitude",
    "longitude",
    "updated_at",
]
CONNECTOR_UPDATE_FIELDS = [*(attr for attr, _ in CONNECTOR_FIELDS.values() if attr != "connector_id"), "updated_at"]


_GEO_OBJECTS = (LOCATION_FIELDS, EVSE_FIELDS)  # the objects with a GeoLocation ``coordinates`` member


def model_values(data: dict, fields: dict[str, tuple[str, Callable[[], Any]]], *, partial: bool) -> dict:
    """Model values for validated OCPI ``data``; a PUT (``partial=False``) resets absent members to empty."""
    values = {}
    for member, (attr, empty) in fields.items():
        if member in data:
            value = data[member]
            values[attr] = empty() if value is None else value
        elif not partial:
            values[attr] = empty()
    if fields not in _GEO_OBJECTS:
        return values
    coordinates = data.get("coordinates")
    if coordinates:
        values["latitude"], values["longitude"] = coordinates["latitude"], coordinates["longitude"]
    elif not partial:
        values["latitude"] = values["longitude"] = ""
    return values
