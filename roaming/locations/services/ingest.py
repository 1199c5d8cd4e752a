"""The pull engine's ingest of a CPO partner's Locations (mod_locations.asciidoc, Sender "GET List";
``roaming.ocpi.pull``): one page validated object by object and written in one batch, on the kit's rules
(``roaming.ocpi.kit.receive.ingest_page``: party by role, newest copy wins, stale ignored, our own refused)."""

from typing import Any

from rest_framework import serializers as drf_serializers

from roaming.core.exceptions import InvalidInput
from roaming.locations.ocpi.serializers import LocationSerializer
from roaming.locations.services.receive import lock_locations, write_locations
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.kit.receive import ingest_page

_serializer = None


def _validate(obj: Any) -> dict:
    """The Receiver PUT's validation of one Location (the same serializer, built once: its fields are reused)."""
    global _serializer
    if _serializer is None:
        _serializer = LocationSerializer()
    try:
        return _serializer.run_validation(obj)
    except drf_serializers.ValidationError as exc:
        raise InvalidInput("; ".join(flatten_errors(exc.detail))) from None


def locations_ingest_page(*, partner_id: int, objects: list[dict]) -> dict:
    """Upsert one page of Locations pulled from a partner's Sender interface; an invalid one is skipped and
    reported, never failing the page; the valid rest is written in one transaction with a constant number of
    queries. Returns ``{"accepted": n, "ignored": n, "rejected": [messages]}``."""
    return ingest_page(
        partner_id=partner_id,
        objects=objects,
        role="CPO",
        validate=_validate,
        lock=lock_locations,
        write=lambda items: write_locations(items, partner_id=partner_id),
    )
