"""Fault drills on the production stack (granian, Celery worker, PostgreSQL, Redis): degrade, never refuse what we
saved, never lose or reorder a push (issue "Fit for money", Faults). The partner-down drill is step 3 of
test_locations_roaming; this module drills the broker being down for the web process and a worker killed while a
delivery is in flight."""

import json
import os
import signal
import socket
import subprocess
import time

from tests.e2e.test_locations_roaming import DATA, report_status, staff_token

EVSE = "NL*CPO*E0003*1"


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def restart_web(instance, **extra_env) -> None:
    instance.stop_process("web")
    instance.extra_env = extra_env
    instance.start_web()
    instance.wait_ready()


def test_broker_down_writes_answer_success_and_are_delivered_in_order_once_it_is_back(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    emsp.wait_for("SELECT status FROM locations_evse WHERE evse_id = %s", (EVSE,))
    key = staff_token(cpo)
    last_patch = emsp.query("SELECT coalesce(max(id), 0) FROM ocpi_trafficlog")[0][0]

    # The web process's broker is gone (connection refused): each CSMS write commits and answers success.
    restart_web(cpo, CELERY_BROKER_URL=f"redis://127.0.0.1:{dead_port()}/0")
    try:
        for status in ("BLOCKED", "CHARGING", "INOPERATIVE"):
            report_status(cpo, key, "CP-003", status)  # asserts HTTP 200/202: no 5xx
            time.sleep(1.1)  # OCPI timestamps have second precision: keep the changes distinct in time
        pending = cpo.query(
            "SELECT count(*) FROM ocpi_outboxmessage WHERE status = 'pending' AND object_key LIKE %s", ("%LOC-UTR-1%",)
        )
        assert pending[0][0] >= 1  # saved, waiting for the broker
        assert "could not queue ocpi.outbox_deliver" in cpo.logs()
    finally:
        restart_web(cpo)

    # The broker is back: the periodic re-queue (what beat runs every minute) delivers everything, in order.
    cpo.shell("from roaming.ocpi.tasks import outbox_requeue_due_task\nprint(outbox_requeue_due_task())")
    emsp.wait_for(
        "SELECT status FROM locations_evse WHERE evse_id = %s", (EVSE,), expect=lambda rows: rows == [("INOPERATIVE",)]
    )
    patches = emsp.query(
        "SELECT request_body FROM ocpi_trafficlog WHERE direction = 'IN' AND method = 'PATCH' AND url LIKE %s "
        "AND http_status = 200 AND id > %s ORDER BY id",
        (f"%/{EVSE}", last_patch),
    )
    assert [json.loads(body)["status"] for (body,) in patches] == ["BLOCKED", "CHARGING", "INOPERATIVE"]
    cpo.wait_for(
        "SELECT count(*) FROM ocpi_outboxmessage WHERE status IN ('pending', 'failed')",
        expect=lambda rows: rows[0][0] == 0,
    )


def process_tree(instance, label: str) -> list[int]:
    """The pids of one of the instance's processes and its children (granian's main process and its workers)."""
    proc = next(p for name, p, _ in instance.processes if name == label)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return [proc.pid, *map(int, children)]


# Advisory locks held in this instance's database (pg_locks is cluster-wide).
HELD_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def test_a_worker_killed_mid_delivery_does_not_stall_the_objects_pushes(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    evse = "NL*CPO*E0004*1"
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    emsp.wait_for("SELECT status FROM locations_evse WHERE evse_id = %s", (evse,))
    key = staff_token(cpo)
    first_log = emsp.query("SELECT coalesce(max(id), 0) FROM ocpi_trafficlog")[0][0]

    # The partner hangs (accepts, never answers): the CPO worker is stuck mid-delivery, holding the object's lock.
    frozen = process_tree(emsp, "web")
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        report_status(cpo, key, "CP-004", "CHARGING")
        cpo.wait_for(HELD_LOCKS, expect=lambda rows: rows[0][0] > 0)
        worker = next(p for name, p, _ in cpo.processes if name == "worker")
        worker.kill()  # SIGKILL: no cleanup of any kind
        worker.wait()
        # The lock died with the worker's database connection: no TTL to sit out.
        cpo.wait_for(HELD_LOCKS, expect=lambda rows: rows[0][0] == 0, timeout=15)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    cpo.stop_process("worker")
    cpo.start_worker()

    # A later change and the re-queue (beat's job) deliver everything, in order.
    report_status(cpo, key, "CP-004", "AVAILABLE")
    cpo.shell("from roaming.ocpi.tasks import outbox_requeue_due_task\nprint(outbox_requeue_due_task())")
    emsp.wait_for(
        "SELECT status FROM locations_evse WHERE evse_id = %s", (evse,), expect=lambda rows: rows == [("AVAILABLE",)]
    )
    patches = emsp.query(
        "SELECT request_body FROM ocpi_trafficlog WHERE direction = 'IN' AND method = 'PATCH' AND url LIKE %s "
        "AND id > %s ORDER BY id",
        (f"%/{evse}", first_log),
    )
    statuses = [json.loads(body)["status"] for (body,) in patches]
    # The frozen partner may still answer the killed worker's request late: a repeat, never a reordering.
    assert list(dict.fromkeys(statuses)) == ["CHARGING", "AVAILABLE"]
    assert statuses[-1] == "AVAILABLE"
    cpo.wait_for(
        "SELECT count(*) FROM ocpi_outboxmessage WHERE status IN ('pending', 'failed')",
        expect=lambda rows: rows[0][0] == 0,
    )
