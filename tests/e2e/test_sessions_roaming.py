"""Sessions end to end between a CPO instance (NL/CPO) and an eMSP instance (DE/MSP) (issue: sessions, "Done when").

A token of the eMSP reaches the CPO's cache and authorizes at the CPO; the CSMS API starts, meters and stops a
session on a connector priced by the CPO's tariff; the eMSP sees it live with its cost; with the eMSP's web server
down for part of the session, every update still arrives afterwards, in order, and the eMSP's copy ends equal to
the CPO's.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import requests

from tests.e2e.test_tokens_roaming import staff

DATA = Path(__file__).parent / "data"
TARIFF = {
    "id": "SES-E2E",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": "1.00", "vat": "21.0", "step_size": 1}]},
        # 0.30/kWh for the first 15 minutes, 0.40/kWh after: the live price opens a second charging period then
        {
            "price_components": [{"type": "ENERGY", "price": "0.30", "vat": "21.0", "step_size": 1}],
            "restrictions": {"max_duration": 900},
        },
        {"price_components": [{"type": "ENERGY", "price": "0.40", "vat": "21.0", "step_size": 1}]},
    ],
}
SESSION_COLUMNS = (
    "session_id, status, kwh, total_cost_excl_vat, total_cost_incl_vat, charging_periods::text, "
    "start_date_time, end_date_time, last_updated, authorization_reference, cdr_token::text"
)


def api(cpo, key: str, path: str, body: dict) -> dict:
    response = requests.post(
        f"{cpo.base_url}/api/v1/{path}", json=body, headers={"Authorization": f"Token {key}"}, timeout=30
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def at(start: dt.datetime, minutes: int) -> str:
    return (start + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalized(rows):
    """Rows of SESSION_COLUMNS with the periods JSON parsed (jsonb text spacing is the server's business)."""
    return [(*row[:5], json.loads(row[5]), *row[6:10], json.loads(row[10])) for row in rows]


def test_a_roaming_charge_is_live_at_the_emsp_and_ends_identical_after_an_outage(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    cpo.shell(
        "from roaming.locations.models import Connector\n"
        "from roaming.tariffs.services import tariff_save_own\n"
        "from roaming.locations.services.tariff_assignment import connector_tariffs_assign\n"
        "from roaming.tariffs.selectors import tariff_assignment_conflicts\n"
        f"t = tariff_save_own(data={json.dumps(TARIFF)})\n"
        "connector_tariffs_assign(tariff=t, conflicts=tariff_assignment_conflicts, connectors=Connector.objects.filter("
        "evse__internal_id='CP-003', evse__location__source_partner__isnull=True))\n"
    )
    emsp.shell(
        "from roaming.tokens.services.own import token_save_own\n"
        "token_save_own(data={'uid': 'SES-CARD', 'contract_id': 'DE-MSP-C00000042', 'issuer': 'MSP Mobility'})\n"
    )
    cpo.wait_for("SELECT 1 FROM tokens_token WHERE uid = 'SES-CARD' AND source_partner_id IS NOT NULL")
    key = staff(cpo)
    decision = api(cpo, key, "authorize", {"uid": "SES-CARD", "charger_id": "CP-003"})
    assert decision["allowed"] is True

    start = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)).replace(second=0, microsecond=0)
    started = api(
        cpo,
        key,
        "sessions",
        {
            "transaction_id": "E2E-TX-1",
            "token_uid": "SES-CARD",
            "charger_id": "CP-003",
            "connector_id": "1",
            "start_date_time": at(start, 0),
            "meter_start": 100_000,
            "authorization_reference": decision.get("authorization_reference") or "",
        },
    )
    session_id = started["id"]
    where = "FROM charging_sessions_chargingsession WHERE session_id = %s"
    emsp.wait_for(
        f"SELECT status, cdr_token->>'uid' {where}", (session_id,), expect=lambda r: r == [("ACTIVE", "SES-CARD")]
    )

    # Live: the first update goes at once, with the cost so far and the period closed at 15 minutes
    # (FLAT 1.00 + 7.5 kWh x 0.30 + 2.5 kWh x 0.40).
    readings = [
        {"timestamp": at(start, 10), "energy_wh": 105_000, "power_w": 30000},
        {"timestamp": at(start, 20), "energy_wh": 110_000, "power_w": 30000},
    ]
    api(cpo, key, "sessions/E2E-TX-1/meter_values", {"readings": readings})
    emsp.wait_for(
        f"SELECT kwh, total_cost_excl_vat, jsonb_array_length(charging_periods) {where}",
        (session_id,),
        expect=lambda r: r == [(10, Decimal("4.25"), 1)],
    )

    emsp.stop_process("web")
    try:
        for minute, wh in ((20, 110_000), (30, 115_000), (30, 115_000), (25, 112_000)):  # a duplicate, a late one
            api(cpo, key, "sessions/E2E-TX-1/meter_values", {"timestamp": at(start, minute), "energy_wh": wh})
        api(cpo, key, "sessions/E2E-TX-1/stop", {"end_date_time": at(start, 35), "meter_stop": 118_000})
        cpo.wait_for(
            "SELECT count(*) FROM ocpi_outboxmessage WHERE module = 'sessions' AND attempts > 0 AND status = 'pending'",
            expect=lambda rows: rows[0][0] >= 1,
        )
    finally:
        emsp.start_web()
        emsp.wait_ready()

    cpo_rows = normalized(cpo.query(f"SELECT {SESSION_COLUMNS} {where}", (session_id,)))
    assert cpo_rows[0][1:3] == ("COMPLETED", 18)
    assert cpo_rows[0][3] == Decimal("7.45")  # FLAT 1.00 + 7.5 kWh x 0.30 + 10.5 kWh x 0.40, excl. VAT
    assert [p["start_date_time"] for p in cpo_rows[0][5]] == [at(start, 0), at(start, 15)]
    emsp.wait_for(
        f"SELECT {SESSION_COLUMNS} {where}", (session_id,), expect=lambda rows: normalized(rows) == cpo_rows, timeout=60
    )
    # Every push was delivered, in the order it was written, none lost or refused. The CPO records the last
    # delivery when the eMSP's answer reaches it, a moment after the eMSP committed it: wait for that too.
    pushes = cpo.wait_for(
        "SELECT method, status FROM ocpi_outboxmessage WHERE module = 'sessions' AND object_key LIKE %s ORDER BY id",
        (f"%/{session_id}",),
        expect=lambda rows: {status for _, status in rows} == {"delivered"},
        timeout=30,
    )
    assert pushes[0] == ("PUT", "delivered")
    delivered = cpo.query(
        "SELECT delivered_at FROM ocpi_outboxmessage WHERE module = 'sessions' AND object_key LIKE %s ORDER BY id",
        (f"%/{session_id}",),
    )
    assert [row[0] for row in delivered] == sorted(row[0] for row in delivered)
