"""Location, EVSE and Connector as OCPI 2.2.1 JSON (mod_locations.asciidoc, "Object description").

One table per object (``CONNECTOR``, ``EVSE``, ``LOCATION``) says which member comes from which column and when it
is sent; two renderers read it, so the mapping exists once:

* the Python renderer here (``location_to_ocpi`` & co.), plain functions building plain dicts from model instances:
  single-object GETs, the Receiver's echo, pushes;
* ``render_sql``, which has PostgreSQL write a whole Sender page as JSON text (a partner pulls tens of thousands of
  Locations; building and encoding 10,000 Python objects per page was the cost of the pull).

Emit strictly: keys in the spec's order, optional fields left out when empty (``?``: absent = not set; ``*``:
absent = empty list), DateTimes as ``YYYY-MM-DDTHH:MM:SSZ``, coordinates as strings. Nested classes are stored as
the spec's JSON already validated (see ``ocpi/serializers.py``) and are emitted as is.

Callers of the Python renderer pass rows from ``roaming.locations.selectors``: children are read through ``.all()``
so the selector's ``prefetch_related`` serves them and a page costs a constant number of queries.
"""

from dataclasses import dataclass
from enum import Enum

from roaming.locations.models import EVSE, Connector, Location
from roaming.ocpi.datetimes import format_datetime


class Kind(Enum):
    """How a member's value is written."""

    VALUE = "value"  # the column as it is (text, number, boolean, or the stored JSON of a nested class)
    DATETIME = "datetime"  # a DateTime column as YYYY-MM-DDTHH:MM:SSZ
    COORDINATES = "coordinates"  # GeoLocation built from the ``latitude``/``longitude`` columns
    CHILDREN = "children"  # the related rows, each rendered by its own table


class When(Enum):
    """When a member is sent (checked on ``Member.column``, or on ``Member.also`` for the extra conditions)."""

    ALWAYS = "always"
    SET = "set"  # not empty: not null, not "", not [] / {} (Python truthiness of the value)
    NOT_NULL = "not_null"  # only null leaves it out: 0 and false are information
    FALSE = "false"  # the column is false


@dataclass(frozen=True)
class Member:
    """One member of an OCPI object: ``key`` on the wire, read from ``column`` (a relation name for children)."""

    key: str
    column: str
    kind: Kind = Kind.VALUE
    when: When = When.ALWAYS
    #: further (condition, column) pairs that must all hold for the member to be sent
    also: tuple[tuple[When, str], ...] = ()


@dataclass(frozen=True)
class Children:
    """A list of child objects: the related manager on the parent, the child table, its model, the foreign key
    column pointing at the parent and the order the children are listed in."""

    relation: str
    members: tuple[Member, ...]
    model: type
    parent_column: str
    order_by: str


V, DT, SET, NN = Kind.VALUE, Kind.DATETIME, When.SET, When.NOT_NULL

# mod_locations.asciidoc, Connector Object
CONNECTOR = (
    Member("id", "connector_id"),
    Member("standard", "standard"),
    Member("format", "format"),
    Member("power_type", "power_type"),
    Member("max_voltage", "max_voltage"),
    Member("max_amperage", "max_amperage"),
    Member("max_electric_power", "max_electric_power", when=NN),
    Member("tariff_ids", "tariff_ids", when=SET),
    Member("terms_and_conditions", "terms_and_conditions", when=SET),
    Member("last_updated", "last_updated", DT),
)

# mod_locations.asciidoc, EVSE Object. ``internal_id`` is ours and never sent.
EVSE_MEMBERS = (
    Member("uid", "uid"),
    Member("evse_id", "evse_id", when=SET),
    Member("status", "status"),
    Member("status_schedule", "status_schedule", when=SET),
    Member("capabilities", "capabilities", when=SET),
    # connectors is "+" (required): always present, even in the (invalid) case of an EVSE without connectors.
    Member("connectors", "connectors", Kind.CHILDREN),
    Member("floor_level", "floor_level", when=SET),
    Member("coordinates", "latitude", Kind.COORDINATES, when=SET, also=((SET, "longitude"),)),
    Member("physical_reference", "physical_reference", when=SET),
    Member("directions", "directions", when=SET),
    Member("parking_restrictions", "parking_restrictions", when=SET),
    Member("images", "images", when=SET),
    Member("last_updated", "last_updated", DT),
)

# mod_locations.asciidoc, Location Object
LOCATION = (
    Member("country_code", "country_code"),
    Member("party_id", "party_id"),
    Member("id", "location_id"),
    Member("publish", "publish"),
    # "This field may only be used when the publish field is set to false."
    Member("publish_allowed_to", "publish_allowed_to", when=SET, also=((When.FALSE, "publish"),)),
    Member("name", "name", when=SET),
    Member("address", "address"),
    Member("city", "city"),
    Member("postal_code", "postal_code", when=SET),
    Member("state", "state", when=SET),
    Member("country", "country"),
    Member("coordinates", "latitude", Kind.COORDINATES),
    Member("related_locations", "related_locations", when=SET),
    Member("parking_type", "parking_type", when=SET),
    Member("evses", "evses", Kind.CHILDREN, when=SET),
    Member("directions", "directions", when=SET),
    Member("operator", "operator", when=SET),
    Member("suboperator", "suboperator", when=SET),
    Member("owner", "owner", when=SET),
    Member("facilities", "facilities", when=SET),
    Member("time_zone", "time_zone"),
    Member("opening_times", "opening_times", when=SET),
    Member("charging_when_closed", "charging_when_closed", when=NN),
    Member("images", "images", when=SET),
    Member("energy_mix", "energy_mix", when=SET),
    Member("last_updated", "last_updated", DT),
)

CONNECTORS = Children("connectors", CONNECTOR, Connector, "evse_id", "connector_id")
EVSES = Children("evses", EVSE_MEMBERS, EVSE, "location_id", "uid")
#: the children of each table's CHILDREN member, by relation name
CHILDREN = {"connectors": CONNECTORS, "evses": EVSES}


def _holds(when: When, value) -> bool:
    if when is When.SET:
        return bool(value)
    if when is When.NOT_NULL:
        return value is not None
    if when is When.FALSE:
        return not value
    return True


def _render(members: tuple[Member, ...], row) -> dict:
    data: dict = {}
    for member in members:
        if member.kind is Kind.CHILDREN:
            value = [_render(CHILDREN[member.column].members, child) for child in getattr(row, member.column).all()]
        elif member.kind is Kind.COORDINATES:
            value = {"latitude": row.latitude, "longitude": row.longitude}
        else:
            value = getattr(row, member.column)
        if member.when is not When.ALWAYS:
            # children and coordinates are judged on what they render (no EVSEs: no "evses")
            judged = value if member.kind is Kind.CHILDREN else getattr(row, member.column)
            if not _holds(member.when, judged):
                continue
        if not all(_holds(when, getattr(row, column)) for when, column in member.also):
            continue
        data[member.key] = format_datetime(value) if member.kind is Kind.DATETIME else value
    return data


def connector_to_ocpi(connector: Connector) -> dict:
    """Connector object (mod_locations.asciidoc, Connector Object)."""
    return _render(CONNECTOR, connector)


def evse_to_ocpi(evse: EVSE) -> dict:
    """EVSE object (mod_locations.asciidoc, EVSE Object) with its Connectors."""
    return _render(EVSE_MEMBERS, evse)


def location_to_ocpi(location: Location) -> dict:
    """Location object (mod_locations.asciidoc, Location Object) with its EVSEs and Connectors."""
    return _render(LOCATION, location)
