"""Read back, one GET each, objects we gave a partner, and compare the partner's copy with ours: the CDRs we POSTed,
at the ``Location`` URL the eMSP answered with (mod_cdrs.asciidoc, "Push model"), and our own locations, tariffs,
sessions and tokens at the partner's Receiver (the Receiver interfaces' GET Method: ``{endpoint_url}/
{country_code}/{party_id}/{id}``, tokens ``?type={type}``).

The GETs go one after the other, as the pushes do: a partner's Receiver is sized for its partners' pushes, and a
reconciliation must not become its heaviest client.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from roaming.ocpi.client import OcpiClientError
from roaming.ocpi.directory import directory
from roaming.ocpi.status import InterfaceRole, OcpiStatus
from roaming.reconciliation.specs import SPECS

#: what a partner answers for an object it does not hold: HTTP 404 (transport_and_format.asciidoc), or the OCPI
#: "unknown" statuses some partners send with HTTP 200 (2003 Unknown Location is also used for other objects)
UNKNOWN = frozenset({OcpiStatus.UNKNOWN_LOCATION, OcpiStatus.UNKNOWN_TOKEN})


@dataclass(frozen=True)
class ReadBack:
    """What the partner holds of one object: ``missing``, or its summary (``theirs``) and the fields where it
    differs from ours (``differing``, sorted); ``error`` when it could not be asked."""

    missing: bool = False
    theirs: dict | None = None
    differing: tuple[str, ...] = ()
    error: str = ""


def read_back(
    *, partner_id: int, module: str, items: Iterable[tuple[Any, str, dict]]
) -> Iterator[tuple[Any, ReadBack]]:
    """For each ``(item, url, ours)``: GET ``url`` from the partner (routing headers of its ``module`` Receiver),
    summarise its copy with the module's ``ModuleSpec`` and compare with our summary ``ours``. Yields ``(item,
    ReadBack)`` in order; one client for all calls."""
    spec = SPECS[module]
    client = directory().client(partner_id, module=module, interface=InterfaceRole.RECEIVER)
    for item, url, ours in items:
        try:
            result = client.get(url, module=module)
        except OcpiClientError as exc:
            if exc.http_status == 404 or exc.ocpi_status in UNKNOWN:
                yield item, ReadBack(missing=True)
            else:
                yield item, ReadBack(error=exc.message)
            continue
        obj = result.object
        if not isinstance(obj, dict) or not obj:
            yield item, ReadBack(missing=True)  # a success without the object: it has none to give
            continue
        theirs = spec.summarise_ocpi(obj)
        # Both sides' fields: an EVSE only the partner lists differs as much as one only we list.
        differing = tuple(sorted(n for n in ours.keys() | theirs.keys() if ours.get(n) != theirs.get(n)))
        yield item, ReadBack(theirs=theirs, differing=differing)
