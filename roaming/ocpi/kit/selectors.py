"""Reads of partner-owned objects by party (each module's "Receiver Interface" GET and Sender list).

Ids are CiStrings (types.asciidoc): looked up case-insensitively; ``country_code``/``party_id`` are stored upper-case
and looked up upper-cased.
"""

from django.db.models import QuerySet


def by_party(
    queryset: QuerySet, *, own: bool | None = None, country_code: str | None = None, party_id: str | None = None
):
    """``queryset`` narrowed to our own objects (``own=True``), partners' (``own=False``) or both (``None``), and
    to one party's when given."""
    if own is not None:
        queryset = queryset.filter(source_partner__isnull=own)
    if country_code:
        queryset = queryset.filter(country_code=country_code.upper())
    if party_id:
        queryset = queryset.filter(party_id=party_id.upper())
    return queryset


def pick(rows: list, attr: str, value: str):
    """The row whose id is spelled exactly ``value``, else the case-insensitive match (ids differing only in case
    are one id; the database refuses a second spelling, this only prefers the exact one among legacy rows)."""
    for row in rows:
        if getattr(row, attr) == value:
            return row
    return rows[0] if rows else None


def object_get(queryset: QuerySet, *, id_field: str, object_id: str, **lookup):
    """One row of ``queryset`` whose ``id_field`` is ``object_id`` (CiString) and matching ``lookup``, or None."""
    rows = list(queryset.filter(**{f"{id_field}__iexact": object_id}, **lookup).order_by("pk")[:2])
    return pick(rows, id_field, object_id)
