"""Locations: EVSE statuses and last_updated compared; a location the CPO no longer lists is removed by the full
pull a repair runs (the module's own removal), and the next run agrees."""

import copy
from datetime import UTC, datetime

import pytest

from roaming.locations.models import EVSE
from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import sync_pull
from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from tests.locations.conftest import example
from tests.reconciliation.conftest import LOCATIONS, serve

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": datetime(2015, 6, 1, tzinfo=UTC), "date_to": datetime(2015, 7, 1, tzinfo=UTC)}


def location(location_id, **changes):
    return {**copy.deepcopy(example("location_example.json")), "id": location_id, **changes}


def test_evse_status_differences_and_a_location_no_longer_listed(stub_server, cpo):
    serve(stub_server, LOCATIONS, [location("L1"), location("L2")])
    sync_pull(partner_id=cpo.pk, module="locations", full=True)
    changed = location("L1")
    changed["evses"][1]["status"] = "AVAILABLE"
    serve(stub_server, LOCATIONS, [changed])

    run = reconciliation_run(partner_id=cpo.pk, module="locations", repair=True, **PERIOD)

    rows = sorted(
        (d.kind, d.object_id, d.field, d.our_value if d.field else None, d.their_value, d.action, d.repair_outcome)
        for d in Difference.objects.filter(run=run)
    )
    assert rows == [
        ("differs", "BE/BEC/L1", "evses[3257].status", "RESERVED", "AVAILABLE", "fetch", "repaired"),
        ("missing_there", "BE/BEC/L2", "", None, None, "full_pull", "repaired"),
    ]
    pulled = SyncRun.objects.get(full=True, removed=1)
    assert pulled.removed_ids == ["BE/BEC/L2"]
    assert run.notes[-1] == f"full pull {pulled.pk}: 1 removed"
    assert set(EVSE.objects.filter(location__location_id="L2").values_list("status", flat=True)) == {"REMOVED"}
    assert EVSE.objects.get(location__location_id="L1", uid="3257").status == "AVAILABLE"

    again = reconciliation_run(partner_id=cpo.pk, module="locations", **PERIOD)
    assert (again.differences_found, again.compared_ours, again.compared_theirs) == (0, 2, 1)
