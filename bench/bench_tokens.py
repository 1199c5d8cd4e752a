"""Tokens at eMSP scale: authorization latency under load, the CPO's full pull and the CSV import, 100,000 tokens.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/roaming REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_tokens.py [--tokens 100000] [--seconds 8] [--workers 3] [--threads 2]

It starts the two-instance pair of the end-to-end tests (CPO NL/CPO and eMSP DE/MSP, own databases), registers
them through the real handshake, then prints:

* import_s    the eMSP importing a CSV of N new cards (``manage.py import_tokens``), outbox rows and push tasks for
              the CPO included (the eMSP's worker is stopped meanwhile, so the pushes wait in the queue);
* pull_s      the CPO's full pull of the eMSP's N tokens (``manage.py sync_partner DE/MSP --module tokens --full``);
* for each endpoint, at 8 and 32 concurrent keep-alive clients for ``--seconds``: requests/s, p50 and p99 latency:
  - ``emsp authorize``: ``POST /ocpi/2.2.1/emsp/tokens/{uid}/authorize`` (random uid of the N, LocationReferences
    body) with the CPO's credentials token, on the eMSP;
  - ``cpo /api/v1/authorize``: the CSMS decision for a random cached token (whitelist ALLOWED: decided from the
    cache, recorded), with a staff API token, on the CPO;
  - ``floor``: ``GET /ocpi/versions`` on the same server (authentication, envelope, traffic log; no module work).

Both servers are granian with ``--workers``/``--threads`` (its ``--blocking-threads``) on loopback and persistent
database connections (``DATABASE_CONN_MAX_AGE=60``), started here next to the pair's own. The load generator is
``wrk`` when installed (``apt-get install wrk``; ``--loadgen wrk``, the default then): a C generator that leaves the
server the CPU of these two cores. ``--loadgen python`` is the asyncio generator in this process, which takes about
a core of its own: figures from it are a lower bound (the earlier figures in the notes were taken with it).
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgen import lua_headers, read_response, request_bytes, start_server, wrk_available, wrk_load  # noqa: E402

from tests.e2e.harness import Pair, register  # noqa: E402

HEADER = "uid,type,contract_id,issuer,visual_number,whitelist\n"


def write_csv(path: Path, n: int) -> None:
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(n):
            out.write(f"B{i:08d},RFID,DE-MSP-C{i:08d},MSP Mobility,MSP-{i:08d},ALLOWED\n")


async def _client(host: str, port: int, make_request, deadline: float, latencies: list, errors: list) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            raw = make_request()
            started = time.perf_counter()
            writer.write(raw)
            await writer.drain()
            answer = await read_response(reader)
            if answer is None:  # the server closed an idle keep-alive connection: open another, ask again
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            latencies.append(time.perf_counter() - started)
            if answer[0] >= 400:
                errors.append(answer[0])
    finally:
        writer.close()


def load(base: str, make_request, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """``clients`` keep-alive connections sending ``make_request()`` back to back; returns (req/s, p50 ms,
    p99 ms, errors)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[int] = []

    async def run():
        deadline = time.perf_counter() + seconds
        await asyncio.gather(
            *(_client(host, int(port), make_request, deadline, latencies, errors) for _ in range(clients))
        )

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--loadgen", choices=["wrk", "python"], default="wrk" if wrk_available() else "python")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roaming")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pair = Pair(database_url, redis_url)
    pair.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-tokens-"))
    servers = []
    try:
        register(pair.emsp, pair.cpo)
        cpo, emsp = pair.cpo, pair.emsp
        cpo.manage("import_chargers", str(ROOT / "tests" / "e2e" / "data" / "chargers.csv"))

        csv_path = workdir / "cards.csv"
        write_csv(csv_path, args.tokens)
        emsp.stop_process("worker")  # the N push tasks wait in the queue instead of loading the machine
        started = time.perf_counter()
        out = emsp.manage("import_tokens", str(csv_path), timeout=3600).stdout.strip()
        import_s = time.perf_counter() - started
        emsp.purge_queue()
        emsp.query("SELECT 1")
        print(f"import_s {import_s:8.2f}   ({out.splitlines()[0]})", flush=True)

        started = time.perf_counter()
        cpo.manage("sync_partner", "DE/MSP", "--module", "tokens", "--full", timeout=3600)
        pull_s = time.perf_counter() - started
        cached = cpo.query("SELECT count(*) FROM tokens_token WHERE source_partner_id IS NOT NULL")[0][0]
        print(f"pull_s   {pull_s:8.2f}   ({cached} tokens in the CPO cache)", flush=True)

        their = (
            "from roaming.partners.models import Partner\nprint(Partner.objects.get(status='registered').their_token)"
        )
        cpo_calls_emsp = cpo.shell(their).strip().splitlines()[-1]  # the token the eMSP accepts from the CPO
        emsp_calls_cpo = emsp.shell(their).strip().splitlines()[-1]
        staff_key = cpo.shell_json(
            "import json\nfrom django.contrib.auth.models import User\n"
            "from roaming.core.api_keys import api_key_create\n"
            "u, _ = User.objects.get_or_create(username='bench', defaults={'is_staff': True})\n"
            "print(json.dumps(api_key_create(user=u, name='bench')[1]))"
        )
        emsp_proc, emsp_base = start_server(emsp, args.workers, args.threads, workdir)
        servers.append(emsp_proc)
        cpo_proc, cpo_base = start_server(cpo, args.workers, args.threads, workdir)
        servers.append(cpo_proc)

        import base64

        def ocpi_auth(token: str) -> dict:
            return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}

        api_auth = {"Authorization": f"Token {staff_key}"}
        location = b'{"location_id": "LOC-AMS-1", "evse_uids": ["NL*CPO*E0001*1"]}'

        def emsp_authorize():
            uid = f"B{random.randrange(args.tokens):08d}"
            return request_bytes(
                "POST", f"/ocpi/2.2.1/emsp/tokens/{uid}/authorize", ocpi_auth(cpo_calls_emsp), location
            )

        def cpo_authorize():
            uid = f"B{random.randrange(args.tokens):08d}"
            body = f'{{"uid": "{uid}", "charger_id": "CP-001"}}'.encode()
            return request_bytes("POST", "/api/v1/authorize", api_auth, body)

        emsp_floor = request_bytes("GET", "/ocpi/versions", ocpi_auth(cpo_calls_emsp))
        cpo_floor = request_bytes("GET", "/ocpi/versions", ocpi_auth(emsp_calls_cpo))
        uid = f'string.format("B%08d", math.random(0, {args.tokens - 1}))'  # Lua, like the Python makers above
        authorize_path = f'"/ocpi/2.2.1/emsp/tokens/" .. {uid} .. "/authorize"'
        decide_body = f"""'{{"uid": "' .. {uid} .. '", "charger_id": "CP-001"}}'"""
        json_type = {"Content-Type": "application/json"}
        lua = {
            "emsp floor": lua_headers(ocpi_auth(cpo_calls_emsp)),
            "emsp authorize": f'wrk.method = "POST"\nwrk.body = [[{location.decode()}]]\n'
            + lua_headers({**ocpi_auth(cpo_calls_emsp), **json_type})
            + f"request = function() return wrk.format(nil, {authorize_path}) end\n",
            "cpo floor": lua_headers(ocpi_auth(emsp_calls_cpo)),
            "cpo authorize": 'wrk.method = "POST"\n'
            + lua_headers({**api_auth, **json_type})
            + f'request = function() return wrk.format(nil, "/api/v1/authorize", nil, {decide_body}) end\n',
        }

        cases = [
            ("emsp floor GET /ocpi/versions", emsp_base, lambda: emsp_floor, "emsp floor", "/ocpi/versions"),
            ("emsp POST .../authorize", emsp_base, emsp_authorize, "emsp authorize", "/"),
            ("cpo floor GET /ocpi/versions", cpo_base, lambda: cpo_floor, "cpo floor", "/ocpi/versions"),
            ("cpo POST /api/v1/authorize", cpo_base, cpo_authorize, "cpo authorize", "/"),
        ]
        print(f"granian --workers {args.workers} --blocking-threads {args.threads}, {args.seconds:.0f} s per line, "
              f"load generator {args.loadgen}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'endpoint':<34} {'clients':>7} {'req/s':>8} {'p50_ms':>7} {'p99_ms':>7} {'errors':>6}")
        for label, base, make, key, path in cases:
            for clients in (8, 32):
                if args.loadgen == "wrk":
                    wrk_load(base + path, lua[key], 4, 1)  # warm up: connections, caches
                    rps, p50, p99, errors = wrk_load(base + path, lua[key], clients, args.seconds)
                else:
                    load(base, make, 4, 1.0)
                    rps, p50, p99, errors = load(base, make, clients, args.seconds)
                print(f"{label:<34} {clients:>7} {rps:>8.0f} {p50:>7.1f} {p99:>7.1f} {errors:>6}", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(10)
        pair.stop()


if __name__ == "__main__":
    main()
