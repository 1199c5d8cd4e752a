"""CDRs at partner scale, over real HTTP between the two-instance pair of the end-to-end tests.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/roaming REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_cdrs.py [--sessions 10000] [--seconds 8] [--clients 8 32] [--pull 50000]
        [--workers 3] [--threads 2] [--loadgen wrk|python [--posts 2000] [--concurrency 1 8]]

Prints, next to the floor each figure is judged against:

* create      our CDRs for N completed sessions (location snapshot or connector, engine pricing, validation, the
              immutable insert, history and the outbox POST to the eMSP), in the CPO's process, worker stopped;
* floor       ``GET /ocpi/versions`` on the ingest's server at the same client count (authentication, envelope,
              traffic log; no module work): the ceiling any OCPI endpoint of that server can reach;
* ingest      the eMSP receiving CDR POSTs from the CPO (``POST /ocpi/2.2.1/emsp/cdrs``: validate, price check with
              our engine, store with the raw payload, commit, answer 201 + Location), every CDR a new id, with the
              CPO's credentials token: CDRs/s over the run, POSTs answered, answers that are not OCPI success,
              p50/p99; target: 300 CDRs/s (issue 13);
* stored      the eMSP's count of the CDRs that run stored (SQL), next to the successful answers (wrk stops with
              up to one request per client in flight: the server may store those without wrk reading the answer);
* pull        a partner pulling N of our CDRs from the CPO's Sender (GET, limit 1000, following Link), next to
              PostgreSQL building the same JSON with ``json_agg`` (the floor for any implementation).

The ingest runs against a granian of the eMSP with production settings (``bench/loadgen.py`` ``start_server``:
``--workers``/``--threads``, persistent database connections, traffic log flushed every second), started next to
the pair's own e2e server. The load generator is ``wrk`` (``--loadgen wrk``, the default when installed: C, two
threads, a Lua script giving each POST its own CDR id) for ``--seconds`` at each of ``--clients``: it leaves the
server the CPU of these two cores. ``--loadgen python`` is the earlier generator, ``requests`` from a thread pool
(``--posts`` POSTs at each ``--concurrency``), which takes a core of its own: its figures are a lower bound.
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgen import http_pull, lua_literal, lua_per_request, start_server, wrk_available, wrk_run  # noqa: E402

from tests.e2e.harness import Pair, register  # noqa: E402

INGEST_FLOOR = 300.0
EXAMPLE = orjson.loads((ROOT / "tests/cdrs/data/cdr_example_corrected.json").read_bytes())

SEED = """
import copy, datetime
import orjson
from decimal import Decimal
from django.db import connection
from django.utils import timezone
from roaming.cdrs.models import Cdr
from roaming.cdrs.ocpi.render import cdr_fields
from roaming.cdrs.ocpi.serializers import validate_cdr
N = {n}
example = {example!r}
example.update(country_code="NL", party_id="CPO", id="TEMPLATE")
example["cdr_token"].update(country_code="DE", party_id="MSP")
fields = cdr_fields(validate_cdr(example))
now = timezone.now().replace(microsecond=0)
with connection.cursor() as cursor:
    cursor.execute("TRUNCATE cdrs_cdr CASCADE")
first = Cdr(**dict(fields, cdr_id="BENCH0000000", session_id="S0000000", last_updated=now), direction="sent")
first.save()  # renders ocpi_json as every stored CDR gets it; the rest are its copies with their own ids
template = orjson.loads(first.ocpi_json)
rows = []
for i in range(1, N):
    row = dict(fields, cdr_id=f"BENCH{{i:07d}}", session_id=f"S{{i:07d}}", last_updated=now)
    rendered = orjson.dumps(dict(template, id=row["cdr_id"], session_id=row["session_id"])).decode()
    rows.append(Cdr(**row, direction="sent", ocpi_json=rendered))
    if len(rows) == 5000:
        Cdr.objects.bulk_create(rows)
        rows = []
Cdr.objects.bulk_create(rows)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE cdrs_cdr")  # what autovacuum does soon after a bulk load; the planner needs it
print(Cdr.objects.count())
"""

SESSIONS = """
import datetime, time
from django.utils import timezone
from roaming.cdrs.services.from_session import cdr_create_from_session
from roaming.locations.models import Connector
from roaming.sessions.models import ChargingSession
N = {n}
connector = Connector.objects.select_related("evse__location").get(
    evse__internal_id="CP-004", evse__location__source_partner__isnull=True)
evse, location = connector.evse, connector.evse.location
tariff = {{"country_code": "NL", "party_id": "CPO", "id": "CDR-BENCH", "currency": "EUR", "elements": [
    {{"price_components": [{{"type": "FLAT", "price": 0.5, "vat": 21.0, "step_size": 1}}]}},
    {{"price_components": [{{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}}]}}],
    "last_updated": "2026-01-01T00:00:00Z"}}
start = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=datetime.UTC)
periods = [{{"start_date_time": "2026-01-05T08:00:00Z", "tariff_id": "CDR-BENCH",
            "dimensions": [{{"type": "ENERGY", "volume": 10}}, {{"type": "TIME", "volume": 0.75}}]}}]
token = {{"country_code": "DE", "party_id": "MSP", "uid": "BENCH", "type": "RFID", "contract_id": "DE-MSP-C00000001"}}
now = timezone.now()
ChargingSession.objects.bulk_create([  # bulk: no signals, so no CDR yet
    ChargingSession(country_code="NL", party_id="CPO", session_id=f"BS{{i:07d}}", start_date_time=start,
        end_date_time=start + datetime.timedelta(minutes=45), kwh=10, cdr_token=token, auth_method="WHITELIST",
        location_id=location.location_id, evse_uid=evse.uid, connector_id=connector.connector_id, currency="EUR",
        charging_periods=periods, status="COMPLETED", token_uid="BENCH", token_type="RFID",
        contract_id="DE-MSP-C00000001", emsp_country_code="DE", emsp_party_id="MSP", own_location=location,
        own_evse=evse, own_connector=connector, tariff=tariff, last_updated=now)
    for i in range(N)], batch_size=2000)
sessions = list(ChargingSession.objects.filter(session_id__startswith="BS")
                .select_related("own_location", "own_connector__evse__location"))
started = time.perf_counter()
for session in sessions:
    assert cdr_create_from_session(session=session) is not None
print(len(sessions) / (time.perf_counter() - started))
"""

JSON_AGG = """
SELECT json_agg(json_build_object(
  'country_code', c.country_code, 'party_id', c.party_id, 'id', c.cdr_id,
  'start_date_time', to_char(c.start_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'end_date_time', to_char(c.end_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'session_id', c.session_id, 'cdr_token', c.cdr_token, 'auth_method', c.auth_method,
  'cdr_location', c.cdr_location, 'currency', c.currency, 'tariffs', c.tariffs,
  'charging_periods', c.charging_periods,
  'total_cost', json_build_object('excl_vat', c.total_cost_excl_vat, 'incl_vat', c.total_cost_incl_vat),
  'total_energy', c.total_energy, 'total_time', c.total_time,
  'total_time_cost', json_build_object('excl_vat', c.total_time_cost_excl_vat, 'incl_vat', c.total_time_cost_incl_vat),
  'last_updated', to_char(c.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY c.id)::text
FROM cdrs_cdr c WHERE c.direction = 'sent' AND c.token_country_code = 'DE' AND c.token_party_id = 'MSP'
"""


def their_token(instance) -> str:
    """The token ``instance`` calls its registered partner with."""
    return (
        instance.shell(
            "from roaming.partners.models import Partner\nprint(Partner.objects.get(status='registered').their_token)"
        )
        .strip()
        .splitlines()[-1]
    )


def ingest(url: str, token: str, count: int, concurrency: int, offset: int) -> float:
    """``--loadgen python``: POST ``count`` distinct CDRs with ``concurrency`` clients; return CDRs per second."""
    bodies = []
    for i in range(count):
        body = orjson.loads(orjson.dumps(EXAMPLE))
        body.update(country_code="NL", party_id="CPO", id=f"IN{offset + i:08d}")
        bodies.append(orjson.dumps(body))
    headers = {**ocpi_auth(token), "Content-Type": "application/json"}
    sessions = [requests.Session() for _ in range(concurrency)]

    def post(index: int) -> int:
        response = sessions[index % concurrency].post(url, data=bodies[index], headers=headers, timeout=60)
        assert response.status_code == 201, response.text[:300]
        return index

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in pool.map(post, range(count)):
            pass
    return count / (time.perf_counter() - started)


def python_floor(url: str, token: str, count: int, concurrency: int) -> float:
    """``--loadgen python``: ``count`` ``GET /ocpi/versions`` with ``concurrency`` clients; requests per second."""
    sessions = [requests.Session() for _ in range(concurrency)]

    def get(index: int) -> None:
        response = sessions[index % concurrency].get(url, headers=ocpi_auth(token), timeout=60)
        assert response.status_code == 200, response.text[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in pool.map(get, range(count)):
            pass
    return count / (time.perf_counter() - started)


def ocpi_auth(token: str) -> dict:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def cdr_post_lua(token: str, tag: str) -> str:
    """wrk: each POST a new CDR, id ``{tag}{thread}-{n}`` (unique across threads; ``tag`` across runs)."""
    body = dict(orjson.loads(orjson.dumps(EXAMPLE)), country_code="NL", party_id="CPO", id="@id@")
    build = (
        f"local BODY = {lua_literal(orjson.dumps(body).decode())}\n"
        f'function build(n) return "/ocpi/2.2.1/emsp/cdrs", fill(BODY, {{id = "{tag}" .. tid .. "-" .. n}}) end\n'
    )
    return lua_per_request("POST", {**ocpi_auth(token), "Content-Type": "application/json"}, build)


def floor_lua(token: str) -> str:
    return lua_per_request("GET", ocpi_auth(token), 'function build(n) return "/ocpi/versions", nil end\n')


def stored(emsp, prefix: str) -> int:
    """The CDRs the eMSP stored whose id starts with ``prefix``."""
    sql = "SELECT count(*) FROM cdrs_cdr WHERE direction = 'received' AND cdr_id LIKE %s"
    return emsp.query(sql, (prefix + "%",))[0][0]


def verdict(rate: float) -> str:
    return "ok" if rate >= INGEST_FLOOR else "BELOW TARGET"


def bench_ingest(emsp, token: str, args, workdir: Path) -> None:
    """The eMSP's CDR Receiver on a granian with production settings: floor and ingest at each client count."""
    proc, base = start_server(emsp, args.workers, args.threads, workdir)
    try:
        print(
            f"ingest server: granian --workers {args.workers} --blocking-threads {args.threads}, load generator "
            f"{args.loadgen}, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if args.loadgen == "python":
            offset = 0
            for concurrency in args.concurrency:
                floor = python_floor(f"{base}/ocpi/versions", token, args.posts, concurrency)
                rate = ingest(f"{base}/ocpi/2.2.1/emsp/cdrs", token, args.posts, concurrency, offset)
                offset += args.posts
                count = stored(emsp, "IN")  # every CDR this generator posted so far
                print(
                    f"ingest  {args.posts} POSTs, {concurrency:>2} clients: {rate:8.1f} CDRs/s   target >= "
                    f"{INGEST_FLOOR:.0f}: {verdict(rate)}   (floor GET /ocpi/versions {floor:6.0f} req/s)",
                    flush=True,
                )
                print(f"stored  {count} CDRs at the eMSP for {offset} 201 answers", flush=True)
            return
        wrk_run(base, floor_lua(token), 4, 1)  # warm up: connections, caches
        wrk_run(base, cdr_post_lua(token, "WU"), 4, 1)
        for clients in args.clients:
            floor = wrk_run(base, floor_lua(token), clients, args.seconds)
            print(
                f"floor   wrk {clients:>2} clients {floor.seconds:4.1f} s: {floor.rps:8.1f} req/s   GET /ocpi/versions "
                f"({floor.requests} answered, {floor.failures} not OCPI success, p50 {floor.p50_ms:.1f} ms)\n"
                f"        {floor.cpu_per_request()}",
                flush=True,
            )
            tag = f"W{clients}R"
            run = wrk_run(base, cdr_post_lua(token, tag), clients, args.seconds)
            print(
                f"ingest  wrk {clients:>2} clients {run.seconds:4.1f} s: {run.rps:8.1f} CDRs/s   target >= "
                f"{INGEST_FLOOR:.0f}: {verdict(run.rps)}   ({run.requests} POSTs answered, {run.failures} not OCPI "
                f"success, {run.socket_errors} socket errors, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms)\n"
                f"        {run.cpu_per_request()}",
                flush=True,
            )
            if run.first_failure:
                print("        first failure:", run.first_failure)
            count = stored(emsp, tag)
            print(
                f"stored  {count} CDRs at the eMSP for {run.successes} successful answers "
                f"({count - run.successes:+d}: answers still in flight when wrk stopped; at most {clients})",
                flush=True,
            )
        print(f"load average after: {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)


def json_agg(database_url: str) -> float:
    with psycopg.connect(database_url) as conn:
        started = time.perf_counter()
        conn.execute(JSON_AGG).fetchone()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10000, help="completed sessions to make CDRs of")
    parser.add_argument("--seconds", type=float, default=8, help="wrk: seconds per ingest and floor line")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32], help="wrk: concurrent connections")
    parser.add_argument("--workers", type=int, default=3, help="granian workers of the ingest's server")
    parser.add_argument("--threads", type=int, default=2, help="granian blocking threads per worker")
    parser.add_argument("--loadgen", choices=["wrk", "python"], default="wrk" if wrk_available() else "python")
    parser.add_argument("--posts", type=int, default=2000, help="python: CDR POSTs per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="python: client threads")
    parser.add_argument("--pull", type=int, nargs="+", default=[50000], help="sizes of the Sender pull")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roaming")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pair = Pair(database_url, redis_url)
    for instance in (pair.cpo, pair.emsp):
        # Our production default (config/settings.py): persistent database connections. The e2e harness opens one
        # per request (0), which is a test setting, not what a partner's POST meets.
        instance.extra_env["DATABASE_CONN_MAX_AGE"] = "60"
    pair.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-cdrs-"))
    try:
        register(pair.emsp, pair.cpo)
        cpo_token, emsp_token = their_token(pair.cpo), their_token(pair.emsp)
        if args.sessions:
            pair.cpo.manage("import_chargers", str(ROOT / "tests/e2e/data/chargers.csv"))
            pair.cpo.stop_process("worker")  # the POSTs wait in the outbox: we time creation, not delivery
            rate = float(pair.cpo.shell(SESSIONS.format(n=args.sessions)).strip().splitlines()[-1])
            print(f"create  {args.sessions} CDRs from completed sessions: {rate:8.1f} CDRs/s")
            pair.cpo.purge_queue()
        # The CPO's worker stays stopped through the ingest: its deliveries of the CDRs just made would share
        # the two cores with the server measured.
        bench_ingest(pair.emsp, cpo_token, args, workdir)
        if args.sessions:
            pair.cpo.start_worker()
        sender = f"{pair.cpo.base_url}/ocpi/2.2.1/cpo/cdrs"
        for n in args.pull:
            seeded = int(pair.cpo.shell(SEED.format(n=n, example=EXAMPLE)).strip().splitlines()[-1])
            assert seeded == n, seeded
            http_s, count, size = http_pull(sender, emsp_token)
            assert count == n, count
            agg_s = json_agg(pair.cpo.database_url)
            print(
                f"pull    {n} CDRs: http {http_s:6.2f} s ({size / 1e6:.1f} MB), json_agg {agg_s:5.2f} s, "
                f"ratio {http_s / agg_s:4.1f}"
            )
    finally:
        pair.stop()


if __name__ == "__main__":
    main()
