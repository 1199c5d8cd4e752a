"""Sessions at scale: the CPO ingesting CSMS meter updates, and the eMSP receiving session pushes, over HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/roaming REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_sessions.py [--sessions 1000] [--seconds 8] [--clients 8 32]
        [--workers 3] [--threads 2] [--skip cpo|emsp] [--history N]
        [--loadgen wrk|python [--updates 20] [--puts 10000] [--patches 100000] [--python-clients 16]]

It starts the two-instance pair of the end-to-end tests (CPO NL/CPO and eMSP DE/MSP, own databases), registers
them through the real handshake, gives the CPO one charger per session (all priced by one tariff) and the eMSP's
tokens in its cache, then prints next to each target (issue 12, "Speed"):

* ``cpo session starts``: ``--sessions`` sessions started through ``POST /api/v1/sessions`` (asyncio generator,
  ``--python-clients``), then the wait until their PUTs to the eMSP are delivered (so they do not overlap the next
  lines);
* ``cpo floor`` / ``emsp floor``: ``GET /ocpi/versions`` on the same server at the same client count,
  authentication, envelope and traffic log without module work: the ceiling the next line is read against;
* ``cpo meter updates``: ``POST /api/v1/sessions/{tx}/meter_values``, the issue's workload: ``--updates`` readings
  (20) for every one of the ``--sessions`` (1,000), each re-priced live and its push enqueued (coalesced):
  updates/s (target >= 500/s), updates answered, answers that are not ``X-Outcome: updated`` (a reading the server
  ignored), p50/p99 and CPU per update. wrk thread t of T sends for the sessions i % T == t in turn, round r of
  them at start + r x 2 s and r x 6 Wh (monotonic per session, in the past); rounds continue across the client
  counts. The run ends once every thread has its share of answers (a few calls made meanwhile repeat a reading, and
  are ignored);
  With ``--history N`` every session already holds N readings (seeded in SQL, ``seed_history``) and the rounds
  continue from N + 1: the same line for sessions that have been running a while;
* ``cpo meter batches``: the same workload through ``POST /api/v1/sessions/meter_values``, ``--batch`` readings
  (50) of different sessions per call: updates/s, calls/s, calls with a reading not updated, latency per call;
* ``cpo pushes``: the PUTs and PATCHes in the CPO's outbox after ``--settle`` s, PATCHes per update (coalescing:
  without it, one per update) and how many were delivered;
* ``emsp receiver PUT``: ``PUT /ocpi/2.2.1/emsp/sessions/NL/CPO/{id}``, every PUT a new session id, with the CPO's
  credentials token: req/s (target >= 500/s), answers, answers not OCPI success, p50/p99; then the eMSP's count of
  the sessions stored (SQL) next to the successful answers;
* ``emsp receiver PATCH``: PATCHes over the sessions the PUT lines stored (thread t of T on sessions i % T == t in
  turn; round r: kWh r, cost, one charging period appended starting r s after the session start, last_updated the
  same): req/s (target >= 500/s).

Servers are granian of the instances with production settings (``bench/loadgen.py`` ``start_server``:
``--workers``/``--threads``, persistent database connections, traffic log flushed every second) on loopback next
to the pair's own. The load generator is ``wrk`` (``--loadgen wrk``, the default when installed: C, two threads,
Lua scripts in ``sessions_wrk.py``, built with ``loadgen.lua_per_request``) for ``--seconds`` at each of
``--clients``, which leaves the server the CPU of these two cores. ``--loadgen python`` is the earlier asyncio
generator in this process (``--updates`` rounds for every session, ``--puts`` PUTs, ``--patches`` PATCHes,
``--python-clients`` connections), which takes about a
core of its own: its figures are a lower bound.

Between the halves both workers are stopped and PostgreSQL is checkpointed, so the eMSP lines pay neither for the
CPO's deliveries nor for writing out the pages the CPO lines dirtied.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sessions_wrk  # noqa: E402
from loadgen import read_response, request_bytes, start_server, wrk_available  # noqa: E402
from sessions_wrk import TARGET, emsp_wrk, meter_updates_wrk, ocpi_auth, session_body, verdict  # noqa: E402

from tests.e2e.harness import Instance, Pair, register  # noqa: E402

CSV_HEADER = (
    "internal_id,evse_id,location_id,location_name,address,city,postal_code,country,latitude,longitude,"
    "connector_id,standard,format,power_type,max_voltage,max_amperage,time_zone\n"
)
TARIFF = {
    "id": "BENCH",
    "currency": "EUR",
    "elements": [{"price_components": [{"type": "ENERGY", "price": "0.30", "vat": "21.0", "step_size": 1}]}],
}


def write_chargers(path: Path, n: int) -> None:
    with path.open("w") as out:
        out.write(CSV_HEADER)
        for i in range(n):
            out.write(
                f"B-{i:05d},NL*CPO*E9{i:05d},LOC-B-{i // 10:04d},Bench {i // 10},Benchstraat 1,Utrecht,3511AB,NL,"
                f"52.08842,5.10798,1,IEC_62196_T2,SOCKET,AC_3_PHASE,230,32,Europe/Amsterdam\n"
            )


def json_request(method: str, path: str, headers: dict, body: dict) -> bytes:
    return request_bytes(method, path, headers, b"" if method == "GET" else json.dumps(body).encode())


async def _client(host: str, port: int, queue, statuses: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for raw in queue:
            writer.write(raw)
            await writer.drain()
            status, body = await read_response(reader)
            if status >= 400 or (b'"status_code":' in body and b'"status_code":1000' not in body):
                statuses["errors"] += 1
                statuses.setdefault("first_error", body[:300])
            statuses["done"] += 1
    finally:
        writer.close()


def send_all(base: str, requests_: list[bytes], clients: int) -> tuple[float, dict]:
    """Send every request once, over ``clients`` keep-alive connections pulling from one shared iterator (so the
    order across connections is roughly the list's); returns (requests/s, counts)."""
    host, port = base.removeprefix("http://").split(":")
    shared = iter(requests_)
    statuses = {"done": 0, "errors": 0}

    async def run():
        await asyncio.gather(*(_client(host, int(port), shared, statuses) for _ in range(clients)))

    started = time.perf_counter()
    asyncio.run(run())
    return len(requests_) / (time.perf_counter() - started), statuses


def floor(base: str, headers: dict, count: int, clients: int) -> float:
    """``GET /ocpi/versions`` on the same server: authentication, envelope and traffic log, no module work. The
    figures above it are read against this one (a loaded machine lowers both)."""
    raw = json_request("GET", "/ocpi/versions", headers, {})
    rate, _ = send_all(base, [raw] * count, clients)
    return rate


def bench_cpo(cpo: Instance, ocpi_token: str, args, workdir: Path) -> None:
    chargers = workdir / "chargers.csv"
    write_chargers(chargers, args.sessions)
    cpo.manage("import_chargers", str(chargers), timeout=600)
    cpo.shell(
        "from django.utils import timezone\n"
        "from roaming.locations.models import Connector\n"
        "from roaming.partners.models import PartnerRole\n"
        "from roaming.tariffs.services import tariff_save_own\n"
        "from roaming.locations.services.tariff_assignment import connector_tariffs_assign\n"
        "from roaming.tariffs.selectors import tariff_assignment_conflicts\n"
        "from roaming.tokens.models import Token\n"
        f"t = tariff_save_own(data={json.dumps(TARIFF)})\n"
        "connector_tariffs_assign(tariff=t, conflicts=tariff_assignment_conflicts,"
        " connectors=Connector.objects.filter(evse__internal_id__startswith='B-'))\n"
        "partner = PartnerRole.objects.get(country_code='DE', party_id='MSP', role='EMSP').partner\n"
        "Token.objects.bulk_create([Token(country_code='DE', party_id='MSP', uid=f'BT{i:05d}', type='RFID',"
        " contract_id=f'DE-MSP-C{i:08d}', issuer='MSP', last_updated=timezone.now(), source_partner=partner)"
        f" for i in range({args.sessions})])\n"
    )
    key = cpo.shell_json(
        "import json\nfrom django.contrib.auth.models import User\n"
        "from roaming.core.api_keys import api_key_create\n"
        "u, _ = User.objects.get_or_create(username='bench', defaults={'is_staff': True})\n"
        "print(json.dumps(api_key_create(user=u, name='bench')[1]))"
    )
    proc, base = start_server(cpo, args.workers, args.threads, workdir)
    try:
        headers = {"Authorization": f"Token {key}"}
        # wrk: 12 h back leaves room for 21,600 rounds of 2 s before a reading would lie in the future.
        start = (datetime.now(UTC) - timedelta(hours=12 if args.loadgen == "wrk" else 3)).replace(microsecond=0)
        starts = [
            json_request(
                "POST",
                "/api/v1/sessions",
                headers,
                {
                    "transaction_id": f"BTX{i:05d}",
                    "token_uid": f"BT{i:05d}",
                    "charger_id": f"B-{i:05d}",
                    "connector_id": "1",
                    "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "meter_start": 0,
                },
            )
            for i in range(args.sessions)
        ]
        if args.loadgen == "python":
            reads = [json_request("GET", "/api/v1/sessions/NONE", headers, {})] * 2000  # auth + 404: no module work
            rate = send_all(base, reads, args.python_clients)[0]
            print(f"cpo floor GET /api/v1/sessions/NONE {rate:8.0f} req/s", flush=True)
        rate, counts = send_all(base, starts, args.python_clients)
        print(f"cpo session starts           {rate:8.0f} req/s  ({counts['errors']} errors)", flush=True)
        # The starts' PUTs to the eMSP go out through the pair's worker and web server: let them finish, so the
        # updates below do not share the cores with them.
        waited = time.perf_counter()
        pending = "SELECT count(*) FROM ocpi_outboxmessage WHERE module = 'sessions' AND status = 'pending'"
        while cpo.query(pending)[0][0] and time.perf_counter() - waited < 120:
            time.sleep(0.5)
        print(f"cpo start PUTs delivered     {time.perf_counter() - waited:8.1f} s after the last start", flush=True)
        # The figure is the ingest "with the pushes enqueued": the worker that delivers them is stopped
        # meanwhile (as bench_cdrs does for creation) and started again for the delivery count below.
        cpo.stop_process("worker")
        if args.history:
            seed_history(cpo, start, args.history)
        if args.loadgen == "python":
            updates = meter_updates_python(base, headers, start, args)
        else:
            updates = meter_updates_wrk(base, headers, ocpi_token, start, args)
        cpo.start_worker()
        time.sleep(args.settle)
        written, delivered = cpo.query(
            "SELECT count(*), count(*) FILTER (WHERE status = 'delivered') FROM ocpi_outboxmessage "
            "WHERE module = 'sessions' AND method = 'PATCH'"
        )[0]
        puts = cpo.query("SELECT count(*) FROM ocpi_outboxmessage WHERE module = 'sessions' AND method = 'PUT'")[0][0]
        print(
            f"cpo pushes                   {puts} PUTs; {written} PATCHes for {updates} updates "
            f"({written / max(updates, 1):.2f} per update), {delivered} delivered after {args.settle:.0f} s "
            f"(coalesced ones wait for the {60} s interval)",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.wait(10)


def seed_history(cpo: Instance, start: datetime, readings: int) -> None:
    """Give every benchmark session ``readings`` readings already (rounds 1..readings of the wrk scripts: one every
    2 s, 6 Wh each), written in SQL, so the meter lines measure sessions that have been running a while (``--history``;
    a real CSMS reports every 15 to 60 s for hours). The sessions' prices are not touched: their next reading
    re-prices them."""
    with psycopg.connect(cpo.database_url) as conn:
        updated = conn.execute(
            "UPDATE charging_sessions_chargingsession SET meter_readings = (SELECT jsonb_agg(jsonb_build_array("
            "to_char((%(start)s::timestamptz + r * interval '1 second' * %(step)s) AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), r * %(wh)s, 11000.0, 16.0) ORDER BY r) FROM generate_series(1, %(n)s) r) '
            "WHERE source_partner_id IS NULL AND csms_transaction_id LIKE 'BTX%%'",
            {"start": start, "step": sessions_wrk.METER_STEP_S, "wh": sessions_wrk.METER_STEP_WH, "n": readings},
        ).rowcount
    print(f"cpo history                  {readings} readings seeded in each of {updated} sessions", flush=True)


def meter_updates_python(base: str, headers: dict, start: datetime, args) -> int:
    """``--updates`` rounds of one reading per session, 5 min apart, from the asyncio generator; the count sent."""
    updates = [
        json_request(
            "POST",
            f"/api/v1/sessions/BTX{i:05d}/meter_values",
            headers,
            {
                "timestamp": (start + timedelta(minutes=5 * r)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "energy_wh": 900 * r,
                "power_w": 11000,
                "current_a": 16,
            },
        )
        for r in range(1, args.updates + 1)
        for i in range(args.sessions)
    ]
    rate, counts = send_all(base, updates, args.python_clients)
    print(
        f"cpo meter updates            {rate:8.0f} updates/s  target >= {TARGET}: {verdict(rate)}"
        f"  ({len(updates)} updates, {counts['errors']} errors)",
        flush=True,
    )
    if counts["errors"]:
        print("  first error:", counts.get("first_error"))
    return len(updates)


def bench_emsp(emsp: Instance, token: str, args, workdir: Path) -> None:
    proc, base = start_server(emsp, args.workers, args.threads, workdir)
    try:
        if args.loadgen == "python":
            emsp_python(base, token, args)
        else:
            emsp_wrk(emsp, base, token, args)
    finally:
        proc.terminate()
        proc.wait(10)


def emsp_python(base: str, token: str, args) -> None:
    """``--puts`` new sessions PUT, then ``--patches`` PATCHes over them, from the asyncio generator."""
    headers = ocpi_auth(token)
    at = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    path = "/ocpi/2.2.1/emsp/sessions/NL/CPO/S{:06d}"
    print(f"emsp floor GET /ocpi/versions {floor(base, headers, 2000, args.python_clients):8.0f} req/s", flush=True)
    puts = [json_request("PUT", path.format(i), headers, session_body(i, at)) for i in range(args.puts)]
    rate, counts = send_all(base, puts, args.python_clients)
    print(
        f"emsp receiver PUT            {rate:8.0f} req/s  target >= {TARGET}: {verdict(rate)}"
        f"  ({len(puts)} PUTs, {counts['errors']} errors)",
        flush=True,
    )
    patches = []
    for n in range(args.patches):
        i, round_ = n % args.puts, n // args.puts + 1
        stamp = (at + timedelta(minutes=round_)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "kwh": round_,
            "total_cost": {"excl_vat": round_ * 0.3, "incl_vat": round(round_ * 0.363, 4)},
            "charging_periods": [{"start_date_time": stamp, "dimensions": [{"type": "ENERGY", "volume": 1}]}],
            "last_updated": stamp,
        }
        patches.append(json_request("PATCH", path.format(i), headers, body))
    rate, counts = send_all(base, patches, args.python_clients)
    print(
        f"emsp receiver PATCH          {rate:8.0f} req/s  target >= {TARGET}: {verdict(rate)}"
        f"  ({len(patches)} PATCHes, {counts['errors']} errors)",
        flush=True,
    )
    if counts["errors"]:
        print("  first error:", counts.get("first_error"))


def their_token(instance: Instance) -> str:
    """The token ``instance`` calls its registered partner with."""
    code = "from roaming.partners.models import Partner\nprint(Partner.objects.get(status='registered').their_token)"
    return instance.shell(code).strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=20, help="meter readings per session (issue 12: 20)")
    parser.add_argument(
        "--history", type=int, default=0, help="readings every session already has before the meter lines (wrk)"
    )
    parser.add_argument("--puts", type=int, default=10_000, help="python: sessions PUT")
    parser.add_argument("--patches", type=int, default=100_000, help="python: PATCHes over them")
    parser.add_argument("--seconds", type=float, default=8, help="wrk: seconds per line")
    parser.add_argument(
        "--batch", type=int, default=50, help="wrk: readings per call of the batch line (0: no batch line)"
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32], help="wrk: concurrent connections")
    parser.add_argument("--loadgen", choices=["wrk", "python"], default="wrk" if wrk_available() else "python")
    parser.add_argument("--python-clients", type=int, default=16, help="python: concurrent connections")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settle", type=float, default=10, help="seconds to let the worker push before counting")
    parser.add_argument("--skip", choices=["cpo", "emsp"], help="run only the other half")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roaming")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pair = Pair(database_url, redis_url)
    pair.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    try:
        register(pair.emsp, pair.cpo)
        clients = args.clients if args.loadgen == "wrk" else args.python_clients
        print(
            f"granian --workers {args.workers} --blocking-threads {args.threads}, load generator {args.loadgen}, "
            f"clients {clients}, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        # The token the eMSP accepts from the CPO is the one the CPO holds for calling it, and the other way round.
        cpo_calls_emsp, emsp_calls_cpo = their_token(pair.cpo), their_token(pair.emsp)
        if args.skip != "cpo":
            bench_cpo(pair.cpo, emsp_calls_cpo, args, workdir)
        if args.skip != "emsp":
            pair.emsp.stop_process("worker")  # nothing to do there; leave the cores to the web server
            # The CPO half leaves coalesced PATCHes due within a minute: the CPO's worker would deliver them to the
            # eMSP's own web server during the eMSP's lines and take the cores from the server measured.
            pair.cpo.stop_process("worker")
            if args.skip != "cpo":
                # The CPO lines leave tens of thousands of dirty pages in PostgreSQL's shared buffers: written out
                # during the eMSP lines, they cost the eMSP's figures (its PostgreSQL CPU per request doubled in a
                # full run next to an eMSP-only one). Write them now.
                with psycopg.connect(pair.cpo.database_url, autocommit=True) as conn:
                    conn.execute("CHECKPOINT")
            bench_emsp(pair.emsp, cpo_calls_emsp, args, workdir)
        print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        pair.stop()


if __name__ == "__main__":
    main()
