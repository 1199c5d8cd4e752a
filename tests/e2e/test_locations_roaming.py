"""Locations end to end between a CPO and an eMSP instance (issue: locations end to end).

The CPO imports chargers from CSV and the eMSP receives them by push; a status reported through the CSMS API
reaches the eMSP; with the eMSP down, changes queue and arrive in order once it is back; a pull yields exactly the
CPO's data.
"""

import json
import time
from pathlib import Path

import requests

DATA = Path(__file__).parent / "data"

RENDER_ALL = (
    "import json\n"
    "from roaming.locations.models import Location\n"
    "from roaming.locations.ocpi.render import location_to_ocpi\n"
    "rows = Location.objects.filter(country_code='NL', party_id='CPO').prefetch_related('evses__connectors')"
    ".order_by('location_id')\n"
    "print(json.dumps([location_to_ocpi(l) for l in rows]))"
)


def staff_token(instance) -> str:
    return instance.shell_json(
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from roaming.core.api_keys import api_key_create\n"
        "u, _ = User.objects.get_or_create(username='csms', defaults={'is_staff': True})\n"
        "print(json.dumps(api_key_create(user=u, name='e2e')[1]))"
    )


def report_status(cpo, key: str, internal_id: str, status: str) -> None:
    response = requests.post(
        f"{cpo.base_url}/api/v1/chargers/{internal_id}/status",
        json={"status": status},
        headers={"Authorization": f"Token {key}"},
        timeout=10,
    )
    assert response.status_code in (200, 202), response.text


def emsp_status(emsp, evse_id: str) -> list[tuple]:
    return emsp.query("SELECT status FROM locations_evse WHERE evse_id = %s", (evse_id,))


def test_import_push_status_outage_and_pull(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp

    # 1. The CPO imports its chargers; the eMSP receives them by push within seconds.
    out = cpo.manage("import_chargers", str(DATA / "chargers.csv")).stdout
    assert "5" in out
    emsp.wait_for(
        "SELECT count(*) FROM locations_evse e JOIN locations_location l ON l.id = e.location_id "
        "WHERE l.country_code = 'NL' AND l.party_id = 'CPO'",
        expect=lambda rows: rows[0][0] == 4,
        timeout=45,
    )
    assert emsp.query(
        "SELECT location_id, name, city, country, time_zone FROM locations_location ORDER BY location_id"
    ) == [
        ("LOC-AMS-1", "Amsterdam Central", "Amsterdam", "NLD", "Europe/Amsterdam"),
        ("LOC-RTD-1", "Rotterdam Markthal", "Rotterdam", "NLD", "Europe/Amsterdam"),
        ("LOC-UTR-1", "Utrecht Jaarbeurs", "Utrecht", "NLD", "Europe/Amsterdam"),
    ]
    assert emsp.query("SELECT count(*) FROM locations_connector")[0][0] == 5
    # The eMSP stored what the CPO holds, field for field.
    assert emsp.shell_json(RENDER_ALL) == cpo.shell_json(RENDER_ALL)

    # 2. A status change reported through the CSMS API reaches the eMSP.
    key = staff_token(cpo)
    report_status(cpo, key, "CP-001", "CHARGING")
    emsp.wait_for(
        "SELECT status FROM locations_evse WHERE evse_id = %s",
        ("NL*CPO*E0001*1",),
        expect=lambda rows: rows == [("CHARGING",)],
    )

    # 3. The eMSP goes down: changes queue in the CPO's outbox and arrive in order once it is back.
    emsp.stop_process("web")
    for status in ("AVAILABLE", "CHARGING", "OUTOFORDER"):
        report_status(cpo, key, "CP-002", status)
        time.sleep(1.1)  # OCPI timestamps have second precision: keep the three changes distinct in time
    cpo.wait_for(
        "SELECT count(*) FROM ocpi_outboxmessage WHERE status = 'pending' AND attempts > 0",
        expect=lambda rows: rows[0][0] >= 1,
    )
    assert emsp_status(emsp, "NL*CPO*E0002*1") == [("UNKNOWN",)]
    emsp.start_web()
    emsp.wait_ready()
    emsp.wait_for(
        "SELECT status FROM locations_evse WHERE evse_id = %s",
        ("NL*CPO*E0002*1",),
        expect=lambda rows: rows == [("OUTOFORDER",)],
        timeout=60,
    )
    patches = emsp.query(
        "SELECT request_body FROM ocpi_trafficlog WHERE direction = 'IN' AND method = 'PATCH' "
        "AND url LIKE %s AND http_status = 200 ORDER BY id",
        ("%/NL*CPO*E0002*1",),
    )
    assert [json.loads(body)["status"] for (body,) in patches] == ["AVAILABLE", "CHARGING", "OUTOFORDER"]
    # Other objects' pushes waited for the partner's backoff (per partner, not per message): all go out shortly.
    cpo.wait_for(
        "SELECT count(*) FROM ocpi_outboxmessage WHERE status IN ('pending', 'failed')",
        expect=lambda rows: rows[0][0] == 0,
    )

    # 4. The eMSP loses its copy; its scheduled pull (the beat task, run by its worker) restores exactly the CPO's.
    emsp.shell("from roaming.locations.models import Location\nLocation.objects.all().delete()")
    emsp.shell(
        "from roaming.partners.models import Partner\n"
        "from roaming.partners.services import partner_schedule_pull\n"
        "from roaming.ocpi.tasks import sync_pull_task\n"
        "p = Partner.objects.get(status='registered')\n"
        "partner_schedule_pull(partner=p, module='locations')\n"
        "sync_pull_task.delay(p.pk, 'locations', True)"
    )
    emsp.wait_for(
        "SELECT status, accepted FROM ocpi_syncrun WHERE module = 'locations' ORDER BY id DESC LIMIT 1",
        expect=lambda rows: rows and rows[0][0] == "succeeded",
    )
    assert emsp.shell_json(RENDER_ALL) == cpo.shell_json(RENDER_ALL)

    # The sync_partner command does the same by hand, incrementally: nothing changed, nothing new accepted.
    out = emsp.manage("sync_partner", "NL/CPO", "--module", "locations").stdout
    assert out.startswith("succeeded")
