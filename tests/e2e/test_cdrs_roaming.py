"""CDRs end to end between a CPO instance (NL/CPO) and an eMSP instance (DE/MSP) (issue 13, "Done when").

A session at the CPO ends; its CDR arrives at the eMSP priced identically by both engines; with the eMSP down
during the POST, it arrives once when it is back; a credit CDR and a corrected CDR follow and both sides' CDR lists
show the three, linked; the finance export of both sides agrees line by line.
"""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

from tests.e2e.test_sessions_roaming import api, at
from tests.e2e.test_tokens_roaming import staff

DATA = Path(__file__).parent / "data"
TARIFF = {
    "id": "CDR-E2E",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "FLAT", "price": "0.50", "vat": "21.0", "step_size": 1}]},
        {"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "21.0", "step_size": 1}]},
    ],
}
#: columns of the finance export that are each side's own bookkeeping, not the invoice line
SIDE_COLUMNS = ("direction", "partner", "review_status", "price_check", "price_difference")
EXPORT = (
    "import json\n"
    "from roaming.cdrs.admin.exports import CdrResource\n"
    "from roaming.cdrs.models import Cdr\n"
    "print(json.dumps(CdrResource().export(queryset=Cdr.objects.filter(cdr_id__in={ids!r}).order_by('cdr_id')).csv))\n"
)


def invoice_lines(instance, cdr_ids: list[str]) -> list[dict]:
    """The finance export's lines of ``cdr_ids`` (the end-to-end modules share one pair: other modules bill too)."""
    rows = csv.DictReader(io.StringIO(instance.shell_json(EXPORT.format(ids=cdr_ids))))
    return [{k: v for k, v in row.items() if k not in SIDE_COLUMNS} for row in rows]


def test_a_cdr_reaches_the_emsp_once_after_an_outage_then_credit_and_correction_follow(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    cpo.shell(
        "from roaming.locations.models import Connector\n"
        "from roaming.locations.services.tariff_assignment import connector_tariffs_assign\n"
        "from roaming.tariffs.selectors import tariff_assignment_conflicts\n"
        "from roaming.tariffs.services import tariff_save_own\n"
        f"t = tariff_save_own(data={json.dumps(TARIFF)})\n"
        "connector_tariffs_assign(tariff=t, connectors=Connector.objects.filter("
        "evse__internal_id='CP-004', evse__location__source_partner__isnull=True),"
        " conflicts=tariff_assignment_conflicts)\n"
    )
    emsp.shell(
        "from roaming.tokens.services.own import token_save_own\n"
        "token_save_own(data={'uid': 'CDR-CARD', 'contract_id': 'DE-MSP-C00000077', 'issuer': 'MSP Mobility'})\n"
    )
    cpo.wait_for("SELECT 1 FROM tokens_token WHERE uid = 'CDR-CARD' AND source_partner_id IS NOT NULL")
    key = staff(cpo)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50)).replace(second=0, microsecond=0)
    session_id = api(
        cpo,
        key,
        "sessions",
        {
            "transaction_id": "E2E-CDR-1",
            "token_uid": "CDR-CARD",
            "charger_id": "CP-004",
            "connector_id": "1",
            "start_date_time": at(start, 0),
            "meter_start": 50_000,
        },
    )["id"]
    api(cpo, key, "sessions/E2E-CDR-1/meter_values", {"timestamp": at(start, 20), "energy_wh": 56_000})

    # The eMSP is down when the session ends: the CDR's POST fails and waits in the outbox.
    emsp.stop_process("web")
    try:
        api(cpo, key, "sessions/E2E-CDR-1/stop", {"end_date_time": at(start, 45), "meter_stop": 60_000})
        cpo.wait_for("SELECT 1 FROM ocpi_outboxmessage WHERE module = 'cdrs' AND attempts > 0 AND status = 'pending'")
    finally:
        emsp.start_web()
        emsp.wait_ready()

    # This session's CDRs only, here and below: the end-to-end modules share one pair, and the others bill too.
    received = emsp.wait_for(
        "SELECT cdr_id, total_cost_excl_vat, total_cost_incl_vat, price_check, price_difference FROM cdrs_cdr "
        "WHERE cdr_id = %s",
        (session_id,),
        timeout=60,
    )
    # FLAT 0.50 + 10 kWh x 0.25 = 3.00 excl. VAT; the eMSP's engine agrees to the cent.
    assert received == [(session_id, Decimal("3.000000"), Decimal("3.630000"), "match", Decimal("0.000000"))]
    sent = cpo.wait_for(
        "SELECT location_url, total_cost_excl_vat FROM cdrs_cdr WHERE cdr_id = %s AND location_url <> ''",
        (session_id,),
    )
    assert sent[0][0] == f"{emsp.base_url}/ocpi/2.2.1/emsp/cdrs/NL/CPO/{session_id}"
    posts = cpo.query(
        "SELECT status, count(*) FROM ocpi_outboxmessage WHERE module = 'cdrs' AND object_key = %s GROUP BY status",
        (f"NL/CPO/{session_id}",),
    )
    assert posts == [("delivered", 1)]

    # Finance credits it and issues a corrected CDR: both reach the eMSP; the original stays.
    cpo.shell(
        "from decimal import Decimal\n"
        "from django.contrib.auth.models import User\n"
        "from roaming.cdrs.models import Cdr\n"
        "from roaming.cdrs.services import Correction, cdr_credit\n"
        f"c = Cdr.objects.get(cdr_id='{session_id}')\n"
        "cdr_credit(cdr_pk=c.pk, user=User.objects.get(username='ops'), comment='goodwill',"
        " correction=Correction(total_cost_excl_vat=Decimal('2.00'), total_cost_incl_vat=Decimal('2.42')))\n"
    )
    corrected_id = cpo.query(
        "SELECT c.cdr_id FROM cdrs_cdr c JOIN cdrs_cdr o ON o.id = c.corrects_id WHERE o.cdr_id = %s", (session_id,)
    )[0][0]
    ids = [session_id, f"{session_id}-C", corrected_id]
    listing = (
        "SELECT c.cdr_id, c.credit, c.credit_reference_id, o.cdr_id, c.total_cost_excl_vat, c.remark FROM cdrs_cdr c "
        f"LEFT JOIN cdrs_cdr o ON o.id = c.credited_cdr_id WHERE c.cdr_id IN ({', '.join(['%s'] * len(ids))})"
    )
    expected = sorted(
        [
            (session_id, False, "", None, Decimal("3.000000"), ""),
            (f"{session_id}-C", True, session_id, session_id, Decimal("-3.000000"), ""),
            (corrected_id, False, "", None, Decimal("2.000000"), f"Corrects CDR {session_id}"),
        ]
    )
    emsp.wait_for(listing, ids, expect=lambda rows: sorted(rows) == expected, timeout=60)
    assert sorted(cpo.query(listing, ids)) == expected
    # And nothing else was billed for this session, on either side.
    for side in (cpo, emsp):
        assert sorted(side.query("SELECT cdr_id FROM cdrs_cdr WHERE session_id = %s", (session_id,))) == sorted(
            (cdr_id,) for cdr_id in ids
        )
    assert emsp.query("SELECT review_status FROM cdrs_cdr WHERE cdr_id = %s", (session_id,)) == [("credited",)]

    # Finance's exports on both sides agree line by line.
    assert invoice_lines(cpo, ids) == invoice_lines(emsp, ids)
    assert len(invoice_lines(cpo, ids)) == 3
