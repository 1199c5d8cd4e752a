"""The wrk side of ``bench_sessions.py``: Lua scripts for the CPO's meter updates and the eMSP's session PUTs and
PATCHes (requests that differ per request, built by ``loadgen.lua_per_request``), the runs and their lines.

Imported by ``bench_sessions.py`` (``python bench/bench_sessions.py`` puts this folder on ``sys.path``).
"""

import base64
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from loadgen import lua_literal, lua_per_request, wrk_run

from tests.e2e.harness import Instance

TARGET = 500


def verdict(rate: float) -> str:
    return "ok" if rate >= TARGET else "BELOW TARGET"


METER_STEP_S, METER_STEP_WH = 2, 6  # 11 kW: about 6 Wh every 2 s

# A meter script's answer check: calls past the thread's share (``extra``) carry an empty list, are refused (400)
# and not counted; the others are judged by ``check_one``, whatever their status. The thread stops once it has its
# ``quota`` of answers, or once each of its connections had an extra call answered (a call lost to a socket error
# is never answered).
_DONE_CHECK = """
local skipped, finished = 0, false
function check(status, headers, body)
  local skip = extra and status == 400 and string.find(body, "may not be empty", 1, true)
  if skip then skipped = skipped + 1 else real = real + 1 end
  if not finished and (real >= quota or skipped >= CONNECTIONS) then
    finished = true
    io.open(DONE .. "/" .. tid, "w"):close()
    wrk.thread:stop()
  end
  if skip then return "skip" end
  return check_one(status, headers, body)
end
"""


def meter_lua(
    headers: dict, sessions: int, start: datetime, first_round: int, updates: int, done_dir: Path, connections: int
) -> str:
    """wrk: thread t of T sends readings for sessions i % T == t in turn, ``updates`` rounds of them; on its r-th
    pass (counted from ``first_round``) each reading is ``start + r * 2 s`` and ``r * 6 Wh``: after the session
    start, in the past and increasing per session. An answer whose ``X-Outcome`` is not ``updated`` (a reading
    ignored) is a failure. A thread that has its share of answers creates its file in ``done_dir`` and stops
    (``wrk_run`` then ends the run); calls it makes once its share is sent carry no reading (refused, 400, and not
    counted as failures)."""
    body = '{"timestamp":"@ts@","energy_wh":@wh@,"power_w":11000,"current_a":16}'
    build = (
        f"""
local BODY = {lua_literal(body)}
local START, STEP, WH = {int(start.timestamp())}, {METER_STEP_S}, {METER_STEP_WH}
local FIRST, SESSIONS, UPDATES = {first_round}, {sessions}, {updates}
local DONE, CONNECTIONS = {lua_literal(str(done_dir))}, {connections}
local quota, real, extra = nil, 0, false
function build(n)
  if quota == nil then quota = (math.floor((SESSIONS - 1 - tid) / THREADS) + 1) * UPDATES end
  if n >= quota then
    extra = true
    return "/api/v1/sessions/BTX00000/meter_values", '{{"readings":[]}}'
  end
  local i, round = owned(n, SESSIONS)
  local r = FIRST + round
  return string.format("/api/v1/sessions/BTX%05d/meter_values", i),
         fill(BODY, {{ts = os.date("!%Y-%m-%dT%H:%M:%SZ", START + r * STEP), wh = r * WH}})
end
"""
        + _DONE_CHECK
        + """
-- Header names are case-insensitive (granian sends them lower-case).
function check_one(status, headers, body) return (headers["X-Outcome"] or headers["x-outcome"]) == "updated" end
"""
    )
    return lua_per_request("POST", {**headers, "Content-Type": "application/json"}, build)


def meter_batch_lua(
    headers: dict,
    sessions: int,
    start: datetime,
    first_round: int,
    updates: int,
    batch: int,
    done_dir: Path,
    connections: int,
) -> str:
    """``meter_lua`` with ``batch`` readings per call (``POST /api/v1/sessions/meter_values``): the k-th reading of a
    thread (k = n * batch + j) is the one ``meter_lua`` sends as its k-th call. A call is a failure unless every
    transaction in it is ``updated``. The run ends as ``meter_lua``'s does. ``batch`` must leave no session in two
    calls in flight at once (``batch_size``)."""
    item = '{"transaction_id":"@tx@","timestamp":"@ts@","energy_wh":@wh@,"power_w":11000,"current_a":16}'
    build = (
        f"""
local ITEM = {lua_literal(item)}
local START, STEP, WH = {int(start.timestamp())}, {METER_STEP_S}, {METER_STEP_WH}
local FIRST, SESSIONS, UPDATES, BATCH = {first_round}, {sessions}, {updates}, {batch}
local DONE, CONNECTIONS = {lua_literal(str(done_dir))}, {connections}
local quota, readings, real, extra = nil, nil, 0, false
function build(n)
  if quota == nil then
    readings = (math.floor((SESSIONS - 1 - tid) / THREADS) + 1) * UPDATES
    quota = math.ceil(readings / BATCH)
  end
  if n >= quota then
    extra = true
    return "/api/v1/sessions/meter_values", '{{"meter_values":[]}}'
  end
  local items = {{}}
  for k = n * BATCH, math.min((n + 1) * BATCH, readings) - 1 do
    local i, round = owned(k, SESSIONS)
    local r = FIRST + round
    items[#items + 1] = fill(ITEM, {{tx = string.format("BTX%05d", i),
                                    ts = os.date("!%Y-%m-%dT%H:%M:%SZ", START + r * STEP), wh = r * WH}})
  end
  return "/api/v1/sessions/meter_values", '{{"meter_values":[' .. table.concat(items, ",") .. ']}}'
end
"""
        + _DONE_CHECK
        + """
function check_one(status, headers, body)
  local _, updated = string.gsub(body, '"outcome":"updated"', "")
  local _, outcomes = string.gsub(body, '"outcome":', "")
  return status == 200 and updated == outcomes
end
"""
    )
    return lua_per_request("POST", {**headers, "Content-Type": "application/json"}, build)


def batch_size(wanted: int, sessions: int, clients: int, threads: int = 2) -> int:
    """``wanted``, or less so that the calls a wrk thread has in flight at once (one per connection) cover at most
    half of its sessions: a CSMS sends a charger's readings one after the other, and a call overtaken by the next
    round's call for the same session would have its reading ignored as older (at 32 clients and 31 readings per
    call, 108 of 632 calls had one; slow calls are overtaken by more than one call)."""
    per_thread, connections = sessions // threads, max(clients // threads, 1)
    return max(1, min(wanted, per_thread // (2 * connections)))


def meter_updates_wrk(base: str, headers: dict, ocpi_token: str, start: datetime, args) -> int:
    """The issue's workload at each ``--clients``: ``--updates`` readings for every one of the ``--sessions``
    (1,000 x 20 by default), the floor before each; the count answered."""
    if args.sessions < max(args.clients):
        print("  (fewer sessions than clients: one session's readings may be in flight twice at once)")
    wrk_run(base, floor_lua(ocpi_token), 4, 1)  # warm up: connections, caches
    total, first_round = 0, args.history  # rounds 1..history are the readings seeded before (``seed_history``)
    for clients in args.clients:
        print_floor("cpo", base, ocpi_token, clients, args.seconds)
        with tempfile.TemporaryDirectory() as done:
            lua = meter_lua(headers, args.sessions, start, first_round, args.updates, Path(done), clients // 2)
            run = wrk_run(base, lua, clients, 900, done_dir=Path(done))
        first_round += args.updates
        total += run.requests
        print(
            f"cpo meter updates  wrk {clients:>2} clients {run.seconds:5.1f} s: {run.rps:8.1f} updates/s  target >= "
            f"{TARGET}: {verdict(run.rps)}  ({run.requests} updates answered of {args.sessions} x {args.updates}, "
            f"{run.failures} not updated, {run.socket_errors} socket errors, p50 {run.p50_ms:.1f} ms, "
            f"p99 {run.p99_ms:.1f} ms)\n    {run.cpu_per_request()}",
            flush=True,
        )
        if run.first_failure:
            print("  first failure:", run.first_failure)
    for clients in args.clients if args.batch else ():
        batch = batch_size(args.batch, args.sessions, clients)
        with tempfile.TemporaryDirectory() as done:
            lua = meter_batch_lua(
                headers, args.sessions, start, first_round, args.updates, batch, Path(done), clients // 2
            )
            run = wrk_run(base, lua, clients, 900, done_dir=Path(done))
        first_round += args.updates
        # Every call but each thread's last carries a full batch; calls past a thread's share repeat its last one.
        updates = min(run.requests * batch, args.sessions * args.updates)
        total += updates
        rate = updates / run.seconds
        print(
            f"cpo meter batches  wrk {clients:>2} clients {run.seconds:5.1f} s: {rate:8.1f} updates/s  "
            f"target >= {TARGET}: {verdict(rate)}  ({run.requests} calls of {batch} readings "
            f"answered, {run.rps:.1f} calls/s, {run.failures} with a reading not updated, {run.socket_errors} socket "
            f"errors, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms per call)\n    {run.cpu_per_request()} (call)",
            flush=True,
        )
        if run.first_failure:
            print("  first failure:", run.first_failure[:300])
    if first_round * METER_STEP_S > 12 * 3600:
        print("  (readings went past now: raise the 12 h head start)")
    return total


def floor_lua(ocpi_token: str) -> str:
    return lua_per_request("GET", ocpi_auth(ocpi_token), 'function build(n) return "/ocpi/versions", nil end\n')


def print_floor(side: str, base: str, ocpi_token: str, clients: int, seconds: float) -> None:
    """``GET /ocpi/versions`` on the same server at the same client count: authentication, envelope and traffic
    log, no module work; the lines after it are read against this one (a loaded machine lowers both)."""
    run = wrk_run(base, floor_lua(ocpi_token), clients, seconds)
    print(
        f"{side} floor        wrk {clients:>2} clients {run.seconds:4.1f} s: {run.rps:8.1f} req/s  GET /ocpi/versions "
        f"({run.requests} answered, {run.failures} not OCPI success, p50 {run.p50_ms:.1f} ms)\n    "
        f"{run.cpu_per_request()}",
        flush=True,
    )


def ocpi_auth(token: str) -> dict:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


def session_body(i: int, at: datetime) -> dict:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "country_code": "NL",
        "party_id": "CPO",
        "id": f"S{i:06d}",
        "start_date_time": stamp,
        "kwh": 0,
        "cdr_token": {
            "country_code": "DE",
            "party_id": "MSP",
            "uid": f"U{i:06d}",
            "type": "RFID",
            "contract_id": f"DE-MSP-C{i:08d}",
        },
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "E1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": stamp,
    }


SESSIONS_TABLE = "charging_sessions_chargingsession"
SESSION_AT = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)  # the PUT sessions' start; PATCHes add a second a round


def put_lua(token: str, tag: str) -> str:
    """wrk: each PUT a new session, id ``{tag}{thread}-{n}`` (unique across threads; ``tag`` across runs)."""
    body = json.dumps(session_body(0, SESSION_AT), separators=(",", ":"))
    body = body.replace('"S000000"', '"@id@"').replace('"U000000"', '"@id@"')
    build = f"""
local BODY = {lua_literal(body)}
function build(n)
  local id = "{tag}" .. tid .. "-" .. n
  return "/ocpi/2.2.1/emsp/sessions/NL/CPO/" .. id, fill(BODY, {{id = id}})
end
"""
    return lua_per_request("PUT", {**ocpi_auth(token), "Content-Type": "application/json"}, build)


def patch_lua(token: str, ids: list[str], first_round: int) -> str:
    """wrk: thread t of T patches the sessions ``ids[i]``, i % T == t, in turn; on its r-th pass (counted from
    ``first_round``) kWh = r, the cost r x 0.30 and one charging period appended, starting (as ``last_updated``)
    ``r`` seconds after the session start: increasing per session."""
    body = (
        '{"kwh":@kwh@,"total_cost":{"excl_vat":@excl@,"incl_vat":@incl@},"charging_periods":[{"start_date_time":'
        '"@ts@","dimensions":[{"type":"ENERGY","volume":1}]}],"last_updated":"@ts@"}'
    )
    build = f"""
local BODY = {lua_literal(body)}
local AT, FIRST = {int(SESSION_AT.timestamp())}, {first_round}
local IDS = {{}}
for id in string.gmatch({lua_literal(",".join(ids))}, "[^,]+") do table.insert(IDS, id) end
function build(n)
  local i, round = owned(n, #IDS)
  local r = FIRST + round
  return "/ocpi/2.2.1/emsp/sessions/NL/CPO/" .. IDS[i + 1], fill(BODY, {{kwh = r,
    excl = string.format("%.2f", r * 0.3), incl = string.format("%.4f", r * 0.363),
    ts = os.date("!%Y-%m-%dT%H:%M:%SZ", AT + r)}})
end
"""
    return lua_per_request("PATCH", {**ocpi_auth(token), "Content-Type": "application/json"}, build)


def emsp_wrk(emsp: Instance, base: str, token: str, args) -> None:
    """PUTs of new sessions, then PATCHes over the sessions stored, from wrk at each ``--clients``."""
    wrk_run(base, floor_lua(token), 4, 1)  # warm up: connections, caches
    wrk_run(base, put_lua(token, "WU"), 4, 1)
    for clients in args.clients:
        print_floor("emsp", base, token, clients, args.seconds)
        tag = f"W{clients}R"
        run = wrk_run(base, put_lua(token, tag), clients, args.seconds)
        report("emsp receiver PUT  ", clients, run, "PUTs")
        stored = emsp.query(f"SELECT count(*) FROM {SESSIONS_TABLE} WHERE session_id LIKE %s", (tag + "%",))
        print(
            f"  stored {stored[0][0]} sessions at the eMSP for {run.successes} successful answers "
            f"({stored[0][0] - run.successes:+d}: answers still in flight when wrk stopped; at most {clients})",
            flush=True,
        )
    ids = [
        row[0]
        for row in emsp.query(f"SELECT session_id FROM {SESSIONS_TABLE} WHERE session_id LIKE %s ORDER BY id", ("W%",))
    ]
    if len(ids) < max(args.clients):
        print("  (fewer sessions than clients: one session's PATCHes may be in flight twice at once)")
    first_round = 0
    for clients in args.clients:
        print_floor("emsp", base, token, clients, args.seconds)
        run = wrk_run(base, patch_lua(token, ids, first_round), clients, args.seconds)
        first_round += run.max_round
        report("emsp receiver PATCH", clients, run, "PATCHes", f" over {len(ids)} sessions, {run.max_round} rounds")


def report(label: str, clients: int, run, what: str, over: str = "") -> None:
    print(
        f"{label} wrk {clients:>2} clients {run.seconds:4.1f} s: {run.rps:8.1f} req/s  target >= {TARGET}: "
        f"{verdict(run.rps)}  ({run.requests} {what} answered{over}, {run.failures} not OCPI success, "
        f"{run.socket_errors} socket errors, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms)\n    "
        f"{run.cpu_per_request()}",
        flush=True,
    )
    if run.first_failure:
        print("  first failure:", run.first_failure)
