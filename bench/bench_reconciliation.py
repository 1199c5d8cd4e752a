"""Reconciliation at partner scale: one month of CDRs, the eMSP instance reconciling against the CPO instance's
Sender over real HTTP (the two-instance pair of the end-to-end tests).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/roaming REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_reconciliation.py [--cdrs 50000] [--differ 100] [--missing 100]

The CPO holds N CDRs sent to the eMSP, ``last_updated`` spread over November 2026; the eMSP holds the same CDRs as
received (and their sessions), except ``--missing`` it never got and ``--differ`` with other totals. Prints, next
to its floors:

* reconcile   ``reconciliation_run`` (cdrs, the month) in the eMSP's process: the paged pull of the CPO's list,
              the comparison with what the eMSP holds, the completeness checks, the differences stored;
              target (issue 14): under 120 s;
* floors      the same list pulled bare over HTTP (GET, limit 1000, following Link, no comparison) and PostgreSQL
              building it with ``json_agg`` on the CPO.
"""

import argparse
import json
import os
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_cdrs import json_agg, their_token  # noqa: E402
from loadgen import http_pull  # noqa: E402

from tests.e2e.harness import Pair, register  # noqa: E402

TARGET_SECONDS = 120.0
EXAMPLE = orjson.loads((ROOT / "tests/cdrs/data/cdr_example_corrected.json").read_bytes())

SEED = """
import datetime
from decimal import Decimal
from django.db import connection
from roaming.cdrs.models import Cdr
from roaming.cdrs.ocpi.render import cdr_fields
from roaming.cdrs.ocpi.serializers import validate_cdr
from roaming.partners.models import Partner
from roaming.sessions.models import ChargingSession
N, SIDE, SKIP, DIFFER = {n}, {side!r}, {missing}, {differ}
example = {example!r}
example.update(country_code="NL", party_id="CPO", id="TEMPLATE")
example["cdr_token"].update(country_code="DE", party_id="MSP")
fields = cdr_fields(validate_cdr(example))
partner = Partner.objects.get(status="registered")
start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
step = datetime.timedelta(days=30) / N
with connection.cursor() as cursor:
    cursor.execute("TRUNCATE cdrs_cdr CASCADE")
    cursor.execute("TRUNCATE charging_sessions_chargingsession CASCADE")
cdrs, sessions = [], []
for i in range(N):
    if SIDE == "received" and i < SKIP:
        continue  # the eMSP never got these
    stamp = start + step * i
    row = dict(fields, cdr_id=f"BENCH{{i:07d}}", session_id=f"S{{i:07d}}", last_updated=stamp)
    if SIDE == "received" and SKIP <= i < SKIP + DIFFER:
        row["total_cost_excl_vat"] = Decimal("9.99")
    cdrs.append(Cdr(**row, direction=SIDE, partner=partner, received_at=stamp if SIDE == "received" else None))
    if SIDE == "received":
        sessions.append(ChargingSession(
            country_code="NL", party_id="CPO", session_id=f"S{{i:07d}}", start_date_time=fields["start_date_time"],
            end_date_time=fields["end_date_time"], kwh=fields["total_energy"], cdr_token=example["cdr_token"],
            auth_method="WHITELIST", location_id="LOC1", evse_uid="E1", connector_id="1", currency="EUR",
            status="COMPLETED", token_uid=example["cdr_token"]["uid"], token_type="RFID",
            contract_id=example["cdr_token"]["contract_id"], emsp_country_code="DE", emsp_party_id="MSP",
            last_updated=stamp, source_partner=partner, received_at=stamp))
    if len(cdrs) == 5000:
        Cdr.objects.bulk_create(cdrs)
        ChargingSession.objects.bulk_create(sessions)
        cdrs, sessions = [], []
Cdr.objects.bulk_create(cdrs)
ChargingSession.objects.bulk_create(sessions)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE cdrs_cdr; ANALYZE charging_sessions_chargingsession")
print(Cdr.objects.count())
"""

RECONCILE = """
import datetime, json, time
from roaming.partners.models import Partner
from roaming.reconciliation.services import reconciliation_run
partner = Partner.objects.get(status="registered")
started = time.perf_counter()
run = reconciliation_run(partner_id=partner.pk, module="cdrs",
    date_from=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    date_to=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "status": run.status, "counts": run.counts, "theirs": run.compared_theirs,
                  "ours": run.compared_ours, "error": run.last_error, "notes": run.notes}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdrs", type=int, default=50000)
    parser.add_argument("--differ", type=int, default=100, help="CDRs the eMSP holds with other totals")
    parser.add_argument("--missing", type=int, default=100, help="CDRs the eMSP never got")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roaming")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pair = Pair(database_url, redis_url)
    pair.start()
    try:
        register(pair.emsp, pair.cpo)
        emsp_token = their_token(pair.emsp)
        common = {"n": args.cdrs, "example": EXAMPLE, "missing": args.missing, "differ": args.differ}
        seeded = pair.cpo.shell(SEED.format(side="sent", **common)).strip().splitlines()[-1]
        assert int(seeded) == args.cdrs, seeded
        pair.emsp.shell(SEED.format(side="received", **common))
        sender = f"{pair.cpo.base_url}/ocpi/2.2.1/cpo/cdrs"
        http_s, count, size = http_pull(sender, emsp_token)
        assert count == args.cdrs, count
        agg_s = json_agg(pair.cpo.database_url)
        result = json.loads(pair.emsp.shell(RECONCILE).strip().splitlines()[-1])
        assert result["status"] == "succeeded", result
        expected = {"missing_here": args.missing, "differs": args.differ}
        assert result["counts"] == {k: v for k, v in expected.items() if v}, result["counts"]
        load = os.getloadavg()
        print(
            f"reconcile {args.cdrs} CDRs (one month): {result['seconds']:6.2f} s   (target {TARGET_SECONDS:.0f} s); "
            f"{result['theirs']} listed, {result['ours']} held, differences {result['counts']}"
        )
        print(f"          {'; '.join(result['notes'])}")
        print(f"floors    bare HTTP pull {http_s:6.2f} s ({size / 1e6:.1f} MB), json_agg {agg_s:5.2f} s")
        print(f"load      {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min) on {os.cpu_count()} cores")
    finally:
        pair.stop()


if __name__ == "__main__":
    main()
