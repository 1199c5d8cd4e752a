"""A complete full pull of a CPO's Tariffs retires the ones it no longer returns: they price no session started
since, and stay for the sessions and CDRs that used them; an incremental pull never retires."""

import datetime as dt
import json

import pytest

from roaming.cdrs.services.pricecheck import _find_tariff
from roaming.ocpi.pull import sync_pull
from roaming.tariffs.models import Tariff
from roaming.tariffs.selectors import tariff_prices_at
from tests.stub_server import envelope
from tests.tariffs.factories import tariff_payload

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/cpo/tariffs"


@pytest.fixture
def cpo(stub_partner):
    return stub_partner("DE", "CPO", "CPO", [("tariffs", "SENDER", PATH)])


def serve(stub, ids):
    tariffs = json.loads(json.dumps([tariff_payload(tariff_id=i) for i in ids], default=str))
    stub.route("GET", PATH, (200, envelope(tariffs), {"X-Total-Count": str(len(tariffs))}))


def test_full_pull_retires_the_tariffs_no_longer_returned(stub_server, cpo):
    serve(stub_server, ["T1", "T2"])
    sync_pull(partner_id=cpo.pk, module="tariffs", full=True)
    serve(stub_server, ["T1"])
    assert sync_pull(partner_id=cpo.pk, module="tariffs").removed == 0
    assert Tariff.objects.get(tariff_id="T2").retired_at is None

    run = sync_pull(partner_id=cpo.pk, module="tariffs", full=True)

    assert (run.removed, run.removed_ids) == (1, ["DE/CPO/T2"])
    retired = Tariff.objects.get(tariff_id="T2")
    assert retired.retired_at is not None and Tariff.objects.get(tariff_id="T1").retired_at is None
    before, after = retired.retired_at - dt.timedelta(hours=1), retired.retired_at + dt.timedelta(seconds=1)
    assert (tariff_prices_at(retired, before), tariff_prices_at(retired, after)) == (True, False)

    # a CDR naming it: checked against it if it started before the retirement, not after
    cdr = {"country_code": "DE", "party_id": "CPO", "charging_periods": [{"tariff_id": "T2"}]}
    assert _find_tariff({**cdr, "start_date_time": before})[1] == "tariff T2 as we hold it"
    assert _find_tariff({**cdr, "start_date_time": after.isoformat()})[0] is None

    serve(stub_server, ["T1", "T2"])  # listed again, identical: current again
    sync_pull(partner_id=cpo.pk, module="tariffs", full=True)
    assert Tariff.objects.get(tariff_id="T2").retired_at is None
