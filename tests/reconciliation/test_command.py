"""``manage.py reconcile``: the run from the command line, text or JSON, exit status 1 while differences remain."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.cdrs.factories import cdr_payload, received_cdr
from tests.reconciliation.conftest import CDRS, serve, session_example

pytestmark = pytest.mark.django_db


def reconcile(*args):
    out = []

    class Sink:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    with pytest.raises(SystemExit) as exited:
        call_command("reconcile", *args, stdout=Sink())
        raise SystemExit(0)
    return exited.value.code, "".join(out)


def test_exit_status_one_while_differences_remain_then_zero_after_repair(stub_server, cpo):
    from roaming.sessions.services.receive import sessions_ingest_page

    sessions_ingest_page(partner_id=cpo.pk, objects=[session_example()])
    received_cdr(cpo, "R1", session_id="101")
    serve(stub_server, CDRS, [cdr_payload(id="R1", session_id="101"), cdr_payload(id="R2", session_id="101")])
    window = ["--module", "cdrs", "--from", "2015-06-01", "--to", "2015-07-01"]

    status, out = reconcile("BE/BEC", *window, "--json")
    report = json.loads(out)
    assert status == 1
    assert (report["counts"], report["open"], report["status"]) == ({"missing_here": 1}, 1, "succeeded")
    assert [(d["kind"], d["object_id"], d["action"]) for d in report["differences"]] == [
        ("missing_here", "BE/BEC/R2", "fetch")
    ]

    status, out = reconcile(str(cpo.pk), *window, "--repair")
    assert status == 0
    assert out.splitlines()[-1] == "1 differences, 1 repaired, 0 open"

    status, out = reconcile(cpo.name, *window)
    assert (status, out.splitlines()[-1]) == (0, "0 differences, 0 repaired, 0 open")


def test_refuses_unknown_partner_and_bad_dates(cpo):
    with pytest.raises(CommandError, match="no partner matches 'XX/YYY'"):
        call_command("reconcile", "XX/YYY", "--module", "cdrs")
    with pytest.raises(CommandError, match="a date is YYYY-MM-DD"):
        call_command("reconcile", "BE/BEC", "--module", "cdrs", "--from", "1 June")
    with pytest.raises(CommandError, match="the period ends before it starts"):
        call_command("reconcile", "BE/BEC", "--module", "cdrs", "--from", "2015-07-01", "--to", "2015-06-01")


def test_an_unreachable_partner_exits_two(stub_server, cpo):
    stub_server.route("GET", CDRS, (503, b"down"))
    status, out = reconcile("BE/BEC", "--module", "cdrs", "--from", "2015-06-01", "--to", "2015-07-01")
    assert status == 2
    assert "error: " in out and "503" in out
