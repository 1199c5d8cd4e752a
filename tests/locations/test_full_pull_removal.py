"""A complete full pull of a CPO's Locations marks the ones it no longer returns REMOVED (their EVSEs: an EVSE is
never deleted, mod_locations.asciidoc); an incremental pull never does."""

import copy

import pytest

from roaming.locations.models import EVSE, Location
from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import sync_pull
from tests.locations.conftest import example
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/cpo/locations"


@pytest.fixture
def cpo(stub_partner):
    return stub_partner("BE", "BEC", "CPO", [("locations", "SENDER", PATH)])


def serve(stub, ids):
    base = example("location_example.json")
    objects = [{**copy.deepcopy(base), "id": i} for i in ids]
    stub.route("GET", PATH, (200, envelope(objects), {"X-Total-Count": str(len(objects))}))


def statuses(location_id):
    return sorted(EVSE.objects.filter(location__location_id=location_id).values_list("status", flat=True))


def test_full_pull_marks_the_locations_no_longer_returned_removed(stub_server, cpo):
    serve(stub_server, ["L1", "L2", "L3"])
    sync_pull(partner_id=cpo.pk, module="locations", full=True)
    assert statuses("L2") == ["AVAILABLE", "RESERVED"]

    serve(stub_server, ["L1", "L3"])
    run = sync_pull(partner_id=cpo.pk, module="locations", full=True)

    assert (run.status, run.removed, run.removed_ids) == (SyncRun.Status.SUCCEEDED, 1, ["BE/BEC/L2"])
    assert statuses("L2") == ["REMOVED", "REMOVED"]
    assert statuses("L1") == ["AVAILABLE", "RESERVED"]
    assert Location.objects.filter(location_id="L2").exists()  # kept: sessions and CDRs refer to it

    again = sync_pull(partner_id=cpo.pk, module="locations", full=True)
    assert (again.removed, again.removed_ids) == (0, [])  # already removed: not counted twice

    serve(stub_server, ["L1", "L2", "L3"])  # the CPO lists it again: it is back as the CPO describes it
    sync_pull(partner_id=cpo.pk, module="locations", full=True)
    assert statuses("L2") == ["AVAILABLE", "RESERVED"]


def test_incremental_pull_and_objects_received_during_the_run_are_never_removed(stub_server, cpo):
    serve(stub_server, ["L1", "L2"])
    sync_pull(partner_id=cpo.pk, module="locations", full=True)
    serve(stub_server, ["L1"])

    incremental = sync_pull(partner_id=cpo.pk, module="locations")
    assert (incremental.removed, statuses("L2")) == (0, ["AVAILABLE", "RESERVED"])

    # L2 pushed to us after this pull started: not in its pages, but no less alive
    from django.utils import timezone

    Location.objects.filter(location_id="L2").update(received_at=timezone.now() + timezone.timedelta(minutes=1))
    full = sync_pull(partner_id=cpo.pk, module="locations", full=True)
    assert (full.removed, statuses("L2")) == (0, ["AVAILABLE", "RESERVED"])
