"""Reconciliation end to end between a CPO instance (NL/CPO) and an eMSP instance (DE/MSP) (issue 14, "Done when").

With the eMSP down while the CPO sends a session update and a CDR (and the CPO giving those pushes up:
transport_and_format.asciidoc leaves re-synchronisation to the receiver), the eMSP's reconciliation reports the
missing CDR and the stale session, ``--repair`` fetches both, the next run reports no difference. A location the
CPO deleted while the eMSP was unreachable is REMOVED at the eMSP after its next full pull, which says so. A location
of the CPO the eMSP lost is reported by the CPO's reconciliation as missing at the partner, re-pushed by
``--repair`` through the outbox, and held by the eMSP again.
"""

import datetime as dt
import json
import time

from tests.e2e.test_sessions_roaming import DATA, api, at
from tests.e2e.test_tokens_roaming import staff


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def reconcile(instance, module: str, window: list[str], *extra: str, partner: str = "NL/CPO") -> tuple[int, dict]:
    proc = instance.manage("reconcile", partner, "--module", module, *window, "--json", *extra, check=False)
    assert proc.returncode in (0, 1), f"{proc.stdout}\n{proc.stderr}"
    return proc.returncode, json.loads(proc.stdout)


def rows(report: dict) -> list[tuple]:
    return [(d["kind"], d["object_id"], d["field"], d["ours"], d["theirs"], d["action"]) for d in report["differences"]]


def test_what_the_emsp_missed_while_down_is_reported_repaired_and_then_clean(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    window = ["--from", iso(now - dt.timedelta(seconds=5)), "--to", iso(now + dt.timedelta(hours=1))]
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    emsp.shell(
        "from roaming.tokens.services.own import token_save_own\n"
        "token_save_own(data={'uid': 'REC-CARD', 'contract_id': 'DE-MSP-C00000077', 'issuer': 'MSP Mobility'})\n"
    )
    cpo.wait_for("SELECT 1 FROM tokens_token WHERE uid = 'REC-CARD' AND source_partner_id IS NOT NULL")
    key = staff(cpo)
    decision = api(cpo, key, "authorize", {"uid": "REC-CARD", "charger_id": "CP-001"})
    start = now - dt.timedelta(minutes=20)
    started = api(
        cpo,
        key,
        "sessions",
        {
            "transaction_id": "REC-TX-1",
            "token_uid": "REC-CARD",
            "charger_id": "CP-001",
            "connector_id": "1",
            "start_date_time": at(start, 0),
            "meter_start": 10_000,
            "authorization_reference": decision.get("authorization_reference") or "",
        },
    )
    session_id = started["id"]
    where = "FROM charging_sessions_chargingsession WHERE session_id = %s"
    emsp.wait_for(f"SELECT status {where}", (session_id,), expect=lambda r: r == [("ACTIVE",)])

    emsp.stop_process("web")
    try:
        # last_updated has whole seconds: the CPO's changes below must fall in a later second than the copy the eMSP
        # holds, or the eMSP's copy is as recent as the CPO's and the report says "differs", not "outdated_here"
        # (seen once a stop and restart of the eMSP's web server took less than a second).
        time.sleep(1.05)
        api(cpo, key, "sessions/REC-TX-1/meter_values", {"timestamp": at(start, 10), "energy_wh": 16_000})
        api(cpo, key, "sessions/REC-TX-1/stop", {"end_date_time": at(start, 15), "meter_stop": 19_000})
        cdr_id = cpo.wait_for("SELECT cdr_id FROM cdrs_cdr WHERE session_id = %s", (session_id,))[0][0]
        cpo.wait_for(
            "SELECT count(*) FROM ocpi_outboxmessage WHERE module = 'sessions' AND attempts > 0 AND status = 'pending'"
            " AND object_key LIKE %s",
            (f"%/{session_id}",),
            expect=lambda r: r[0][0] >= 1,
        )
        # The CPO gives those pushes up (its worker stopped first, so no delivery is in flight). Cancelled, not failed:
        # nothing is left for ops to retry, which the later resilience drills check.
        cpo.stop_process("worker")
        cpo.shell(
            "from django.db.models import Q\n"
            "from roaming.ocpi.models import OutboxMessage\n"
            "OutboxMessage.objects.filter(\n"
            f"    Q(object_key__endswith='/{session_id}') | Q(object_key__endswith='/{cdr_id}'), status='pending'\n"
            ").update(status='cancelled', last_error='given up (reconciliation drill)')\n"
        )
        cpo.start_worker()
    finally:
        emsp.start_web()
        emsp.wait_ready()
    assert emsp.query(f"SELECT status {where}", (session_id,)) == [("ACTIVE",)]
    assert emsp.query("SELECT count(*) FROM cdrs_cdr WHERE cdr_id = %s", (cdr_id,)) == [(0,)]

    # Reported: the CDR missing here, the session outdated here (ACTIVE here, COMPLETED at the CPO).
    status, report = reconcile(emsp, "cdrs", window)
    cdr_summary = rows(report)[0][4] if report["differences"] else None
    assert (status, rows(report)) == (1, [("missing_here", f"NL/CPO/{cdr_id}", "", None, cdr_summary, "fetch")])
    assert cdr_summary["total_energy"] == "9"
    status, report = reconcile(emsp, "sessions", window)
    found = {d[2]: d for d in rows(report)}
    assert status == 1
    assert {(d[0], d[1], d[5]) for d in found.values()} == {("outdated_here", f"NL/CPO/{session_id}", "fetch")}
    assert (found["status"][3], found["status"][4]) == ("ACTIVE", "COMPLETED")
    assert (found["kwh"][3], found["kwh"][4]) == ("0", "9")  # the meter update was missed too

    # --repair fetches both through the modules' own ingest.
    status, report = reconcile(emsp, "sessions", window, "--repair")
    assert (status, report["open"], report["repaired"]) == (0, 0, len(found))
    status, report = reconcile(emsp, "cdrs", window, "--repair")
    assert (status, report["open"], report["repaired"]) == (0, 0, 1)
    assert emsp.query(f"SELECT status, kwh {where}", (session_id,)) == [("COMPLETED", 9)]
    assert emsp.query("SELECT total_energy FROM cdrs_cdr WHERE cdr_id = %s", (cdr_id,)) == [(9,)]

    # The next runs report no difference.
    for module in ("sessions", "cdrs"):
        status, report = reconcile(emsp, module, window)
        assert (module, status, report["differences"]) == (module, 0, [])


def test_a_location_deleted_while_the_emsp_was_unreachable_is_removed_by_its_next_full_pull(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    window = ["--from", iso(now - dt.timedelta(seconds=5)), "--to", iso(now + dt.timedelta(hours=1))]
    cpo.manage("import_chargers", str(DATA / "reconciliation_chargers.csv"))
    statuses = "SELECT e.status FROM locations_evse e JOIN locations_location l ON l.id = e.location_id " \
        "WHERE l.location_id = 'LOC-REC-1'"  # fmt: skip
    emsp.wait_for(statuses, expect=lambda r: r == [("UNKNOWN",)] or r == [("AVAILABLE",)])

    emsp.stop_process("web")
    try:
        cpo.shell(
            "from roaming.locations.models import Location\n"
            "Location.objects.filter(location_id='LOC-REC-1', source_partner__isnull=True).delete()\n"
        )
    finally:
        emsp.start_web()
        emsp.wait_ready()

    status, report = reconcile(emsp, "locations", window)
    assert status == 1
    assert [r for r in rows(report) if "LOC-REC-1" in r[1]] == [
        ("missing_there", "NL/CPO/LOC-REC-1", "", rows(report)[0][3], None, "full_pull")
    ]

    out = emsp.manage("sync_partner", "NL/CPO", "--module", "locations", "--full").stdout
    assert "  removed: NL/CPO/LOC-REC-1" in out.splitlines()
    assert emsp.query(statuses) == [("REMOVED",)]
    removed = emsp.query(
        "SELECT removed_ids FROM ocpi_syncrun WHERE module = 'locations' AND \"full\" ORDER BY id DESC"
    )
    assert "NL/CPO/LOC-REC-1" in removed[0][0]

    status, report = reconcile(emsp, "locations", window)
    assert [r for r in rows(report) if "LOC-REC-1" in r[1]] == []


def test_a_location_the_emsp_lost_is_reported_by_the_cpo_and_repushed(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    window = ["--from", iso(now - dt.timedelta(seconds=5)), "--to", iso(now + dt.timedelta(hours=1))]
    cpo.manage("import_chargers", str(DATA / "repush_chargers.csv"))
    held = "SELECT count(*) FROM locations_location WHERE location_id = 'LOC-REP-1' AND source_partner_id IS NOT NULL"
    emsp.wait_for(held, expect=lambda r: r == [(1,)])
    emsp.shell(
        "from roaming.locations.models import Location\n"
        "Location.objects.filter(location_id='LOC-REP-1', source_partner__isnull=False).delete()\n"
    )

    status, report = reconcile(cpo, "locations", window, partner="DE/MSP")
    assert status == 1, report
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows(report) if "LOC-REP-1" in r[1]] == [
        ("missing_at_partner", "NL/CPO/LOC-REP-1", "", None, "repush")
    ]
    assert any("our own locations were read back at the partner's Receiver" in n for n in report["notes"])

    status, report = reconcile(cpo, "locations", window, "--repair", partner="DE/MSP")
    repushed = [d for d in report["differences"] if "LOC-REP-1" in d["object_id"]]
    assert (status, [(d["repaired"], d["repair_outcome"]) for d in repushed]) == (0, [(True, "queued")])
    emsp.wait_for(held, expect=lambda r: r == [(1,)])  # the CPO's worker delivered the PUT from the outbox
    evses = "SELECT e.status FROM locations_evse e JOIN locations_location l ON l.id = e.location_id " \
        "WHERE l.location_id = 'LOC-REP-1'"  # fmt: skip
    assert len(emsp.query(evses)) == 1  # the whole location came back, its EVSE too

    status, report = reconcile(cpo, "locations", window, partner="DE/MSP")
    assert (status, [r for r in rows(report) if "LOC-REP-1" in r[1]]) == (0, [])
