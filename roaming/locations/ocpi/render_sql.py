"""A page of Locations rendered as OCPI 2.2.1 JSON by PostgreSQL (mod_locations.asciidoc, Sender GET list).

The SQL is generated from the member tables of ``roaming.locations.ocpi.render``, the same ones the Python renderer
reads, so both emit the same objects: members in the spec's order, the same members left out when empty, DateTimes
as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, fraction cut as ``format_datetime`` cuts it), stored nested JSON as stored.

Each object is concatenated as text (``concat_ws`` skips the NULL of a member left out), so PostgreSQL keeps the
members in order and Python never builds, nor encodes, the 10,000 objects of a 1,000-Location page: one query
returns the page as one JSON array, which the response embeds as is (``orjson.Fragment``).
"""

from django.db import connection, transaction
from django.db.models import BooleanField, JSONField

from roaming.locations.models import Location
from roaming.locations.ocpi.render import CHILDREN, LOCATION, Kind, Member, When

# Python's truthiness of a stored JSON value: null, false, 0, "", [] and {} are "not set".
_JSON_EMPTY = "('null'::jsonb, 'false'::jsonb, '0'::jsonb, '\"\"'::jsonb, '[]'::jsonb, '{}'::jsonb)"


def _literal(text: str) -> str:
    """A member key as an SQL string literal of its JSON text (keys are ours: letters and underscores)."""
    assert text.replace("_", "").isalnum(), text
    return f"'\"{text}\":'"


def _condition(model, alias: str, when: When, column: str) -> str:
    col = f"{alias}.{connection.ops.quote_name(model._meta.get_field(column).column)}"
    field = model._meta.get_field(column)
    if when is When.NOT_NULL:
        return f"{col} IS NOT NULL"
    if when is When.FALSE:
        return f"NOT {col}"
    if isinstance(field, JSONField):
        return f"({col} IS NOT NULL AND {col} NOT IN {_JSON_EMPTY})"
    if isinstance(field, BooleanField):
        return f"COALESCE({col}, false)"
    if field.get_internal_type() in ("CharField", "TextField", "URLField"):
        return f"COALESCE({col}, '') <> ''"
    return f"COALESCE({col}, 0) <> 0"


def _value(model, alias: str, member: Member, depth: int) -> str:
    """The member's value as JSON text."""
    if member.kind is Kind.CHILDREN:
        children = CHILDREN[member.column]
        child = f"t{depth + 1}"
        table = connection.ops.quote_name(children.model._meta.db_table)
        fk = connection.ops.quote_name(children.model._meta.get_field(children.parent_column).column)
        order = connection.ops.quote_name(children.model._meta.get_field(children.order_by).column)
        objects = _object(children.model, child, children.members, depth + 1)
        # string_agg over no rows is NULL: a member left out when SET, an empty list when ALWAYS (connectors "+")
        # Only model metadata and the member tables go into the text; the page's ids are a bound parameter.
        aggregate = f"(SELECT '[' || string_agg({objects}, ',' ORDER BY {child}.{order}) || ']' FROM {table} {child} "  # noqa: S608
        aggregate += f"WHERE {child}.{fk} = {alias}.id)"
        return aggregate if member.when is When.SET else f"COALESCE({aggregate}, '[]')"
    if member.kind is Kind.COORDINATES:
        return (
            f"""'{{"latitude":' || to_json({alias}.latitude)::text || ',"longitude":' """
            f"|| to_json({alias}.longitude)::text || '}}'"
        )
    col = f"{alias}.{connection.ops.quote_name(model._meta.get_field(member.column).column)}"
    if member.kind is Kind.DATETIME:
        # to_char cuts the fraction like strftime does (no rounding); AT TIME ZONE 'UTC' whatever the session's zone
        return f"""to_json(to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::text"""
    if isinstance(model._meta.get_field(member.column), JSONField):
        return f"{col}::text"
    return f"to_json({col})::text"


def _member(model, alias: str, member: Member, depth: int) -> str:
    text = f"{_literal(member.key)} || {_value(model, alias, member, depth)}"
    conditions = [(member.when, member.column)] if member.when is not When.ALWAYS else []
    if member.kind is Kind.CHILDREN:
        conditions = []  # judged on what it renders: the aggregate is NULL when there are no children
    conditions += list(member.also)
    if not conditions:
        return text
    return f"CASE WHEN {' AND '.join(_condition(model, alias, w, c) for w, c in conditions)} THEN {text} END"


def _object(model, alias: str, members: tuple[Member, ...], depth: int) -> str:
    parts = ", ".join(_member(model, alias, member, depth) for member in members)
    return f"'{{' || concat_ws(',', {parts}) || '}}'"


LOCATIONS_PAGE_SQL = (
    "SELECT '[' || COALESCE(string_agg("  # noqa: S608
    + _object(Location, "t0", LOCATION, 0)
    + ", ',' ORDER BY page.n), '') || ']' FROM unnest(%s::bigint[]) WITH ORDINALITY AS page(id, n) "
    + f"JOIN {connection.ops.quote_name(Location._meta.db_table)} t0 ON t0.id = page.id"
)


def locations_json(location_ids: list[int]) -> str:
    """The Locations ``location_ids`` with their EVSEs and Connectors, in that order, as the text of one JSON array
    (one query; an id without a row is skipped)."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # The nested subplans make the planner's estimate huge (millions, worse with the stale statistics of a table
        # just filled), so PostgreSQL would JIT-compile the query on every page: ~0.7 s of compiling for ~0.1 s of
        # work. For this transaction only.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(LOCATIONS_PAGE_SQL, [list(location_ids)])
        return cursor.fetchone()[0]
