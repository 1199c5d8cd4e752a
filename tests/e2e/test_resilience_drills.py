"""Fault drills on the production stack (gunicorn, Celery worker, PostgreSQL, Redis): degrade, never refuse what we
saved, never lose or reorder a push (issue "Fit for money", Faults). The partner-down drill is step 3 of
test_locations_roaming; this module drills the broker being down for the web process."""

import socket
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
    import json

    assert [json.loads(body)["status"] for (body,) in patches] == ["BLOCKED", "CHARGING", "INOPERATIVE"]
    cpo.wait_for(
        "SELECT count(*) FROM ocpi_outboxmessage WHERE status IN ('pending', 'failed')",
        expect=lambda rows: rows[0][0] == 0,
    )
