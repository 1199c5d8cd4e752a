"""What the benchmark scripts share: an extra web server (granian, as in production) for an end-to-end instance, raw
keep-alive HTTP for the asyncio load generators, and a full paged pull of an OCPI Sender list as a partner does it.

Imported by the scripts in this folder (``python bench/bench_x.py`` puts the folder on ``sys.path``).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import orjson
import requests

from tests.e2e.harness import BIN, ROOT, Instance, free_port


def start_server(instance: Instance, workers: int, threads: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    """A granian of ``instance`` on a free loopback port, with persistent database connections; (process, URL).
    ``BENCH_SERVER_ARGS``: more granian options, to try a shape."""
    port = free_port()
    # Production settings where the e2e harness departs from them for its tests' sake.
    env = {**instance.env, "DATABASE_CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING", "OCPI_TRAFFIC_LOG_FLUSH_SECONDS": "1"}
    log = open(workdir / f"bench-{instance.name}.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            str(BIN / "granian"), "--interface", "wsgi", "config.wsgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
            *os.environ.get("BENCH_SERVER_ARGS", "").split(),
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if requests.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"bench server for {instance.name} did not come up")


def request_bytes(method: str, path: str, headers: dict, body: bytes = b"") -> bytes:
    """One HTTP/1.1 keep-alive request, ready to write to a socket."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if method != "GET":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader) -> tuple[int, bytes] | None:
    """The status and body of the next response on a keep-alive connection; None when the server closed it."""
    status_line = await reader.readline()
    if not status_line:
        return None
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


def http_pull(url: str, token: str) -> tuple[float, int, int]:
    """A partner's full pull of a Sender list, following ``Link``: (seconds, objects, bytes)."""
    session = requests.Session()
    headers = {"Authorization": f"Token {token}"}
    started = time.perf_counter()
    count = size = 0
    next_url, params = url, {"limit": 1000}
    while next_url:
        response = session.get(next_url, params=params, headers=headers, timeout=300)
        response.raise_for_status()
        size += len(response.content)
        count += len(orjson.loads(response.content)["data"])
        link = response.headers.get("Link", "")
        next_url = link[link.find("<") + 1 : link.find(">")] if 'rel="next"' in link else None
        params = None
    return time.perf_counter() - started, count, size


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk_load(url: str, lua: str, clients: int, seconds: float) -> tuple[float, float, float, int]:
    """``clients`` keep-alive connections of ``wrk`` (Debian's package; C, two threads) on ``url`` for ``seconds``,
    each request made by the Lua script ``lua`` (``request = function() ... end``, or ``wrk.method``/``wrk.body``);
    returns (requests/s, p50 ms, p99 ms, non-2xx/3xx answers and socket errors). Unlike the asyncio generator it
    leaves the server nearly all of the CPU, so the figures are the server's."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        args = ["wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", "-s", script.name, url]
        out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    finally:
        Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rps, p50, p99, errors


def lua_headers(headers: dict) -> str:
    """Lua lines setting ``headers`` on every request wrk sends."""
    return "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())


class WrkRun(NamedTuple):
    """What one ``wrk_run`` measured; ``failures`` are answers that are not OCPI success (HTTP >= 400, or an OCPI
    body whose ``status_code`` is not 1000), ``socket_errors`` connect/read/write/timeout errors."""

    rps: float
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    socket_errors: int
    made: int
    max_round: int
    first_failure: str
    cpu_ms: dict

    def cpu_per_request(self) -> str:
        """CPU time per answered request by kind of process (``cpu_between``): read next to requests/s, it says
        which side a change saved work on, and it moves much less than requests/s with the machine's load."""
        n = max(self.requests, 1)
        return (
            ", ".join(
                f"{kind} {ms / n:.2f}" for kind, ms in self.cpu_ms.items() if kind in ("app", "postgres", "other")
            )
            + " ms CPU/request"
        )

    @property
    def successes(self) -> int:
        return self.requests - self.failures


# Every thread's Lua state loads the whole script; setup() and done() run in the main one. Globals are what
# ``thread:set``/``thread:get`` reach across states.
_LUA_FRAME = """
THREADS = {threads}
tid = 0
made, answers, failures, max_round, first_failure = 0, 0, 0, 0, ""
local threads, next_tid = {{}}, 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

-- The n-th (0-based) request of this thread over items 0 .. count-1, of which this thread owns those with
-- i % THREADS == tid and cycles through them: the item and its pass (1-based round).
function owned(n, count)
  local mine = math.floor((count - 1 - tid) / THREADS) + 1
  local round = math.floor(n / mine) + 1
  if round > max_round then max_round = round end
  return tid + (n % mine) * THREADS, round
end

-- A body template with @name@ slots, filled from the table ``values``.
function fill(template, values)
  return (string.gsub(template, "@(%w+)@", values))
end

{prelude}

request = function()
  local path, body = build(made)
  made = made + 1
  return wrk.format({method}, path, nil, body)
end

response = function(status, headers, body)
  local verdict = true
  if check then verdict = check(status, headers, body) end
  if verdict == "skip" then return end
  answers = answers + 1
  if status >= 400 or (string.find(body, '"status_code":', 1, true)
                       and not string.find(body, '"status_code":1000', 1, true))
                   or not verdict then
    failures = failures + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body, 1, 300) end
  end
end

done = function(summary, latency, requests)
  local a, f, m, r, first = 0, 0, 0, 0, ""
  for _, t in ipairs(threads) do
    a = a + t:get("answers")
    f = f + t:get("failures")
    m = m + t:get("made")
    r = math.max(r, t:get("max_round"))
    if first == "" then first = t:get("first_failure") end
  end
  local e = summary.errors
  io.write(string.format("LOADGEN requests=%d seconds=%.3f answers=%d failures=%d made=%d max_round=%d "
    .. "p50_us=%d p99_us=%d socket_errors=%d\\n", summary.requests, summary.duration / 1e6, a, f, m, r,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout))
  io.write("LOADGEN first_failure=" .. (string.gsub(first, "[\\r\\n]", " ")) .. "\\n")
end
"""


def lua_literal(text: str) -> str:
    """``text`` as a Lua long-bracket string literal (no escapes needed inside)."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_per_request(method: str, headers: dict, build: str, *, threads: int = 2) -> str:
    """A wrk script whose every request comes from ``build``, Lua code defining ``function build(n)`` that returns
    (path, body or nil) for this thread's n-th (0-based) request. Inside it ``tid`` is the thread's index of
    ``THREADS`` (so ``tid .. "-" .. n`` is unique across threads), ``owned(n, count)`` gives the item this thread
    works on next and its round (thread t of T owns items i % T == t and cycles through them) and ``fill(template,
    values)`` fills ``@name@`` slots. Each answer is checked in ``response()`` (HTTP >= 400, an OCPI status_code
    other than 1000, or ``check(status, headers, body)`` false when ``build`` defines it: a failure; ``"skip"``
    from it: an answer not counted at all); ``done()``
    prints a ``LOADGEN`` line that ``wrk_run`` parses."""
    prelude = lua_headers(headers) + build
    return _LUA_FRAME.format(threads=threads, method=lua_literal(method), prelude=prelude)


_TICK = os.sysconf("SC_CLK_TCK")
_KINDS = {"granian": "app", "celery": "worker", "postgres": "postgres", "wrk": "wrk", "redis-server": "redis"}


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) used so far by each live process of this machine, with its kind: ``app``
    (granian), ``worker`` (celery), ``postgres``, ``wrk``, ``redis`` or ``other``."""
    seen = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # ended while we looked
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        words = " ".join(Path(part.decode(errors="replace")).name for part in cmdline[:3] if part)
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        kind = next((k for name, k in _KINDS.items() if name in words or comm.startswith(name)), "other")
        seen[int(entry.name)] = (kind, (int(fields[11]) + int(fields[12])) / _TICK)
    return seen


def cpu_between(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds used by kind between two ``cpu_by_process`` readings, by the processes alive at the second (one
    that ended in between is missed: database connections and load generators live through a run)."""
    totals = dict.fromkeys([*_KINDS.values(), "other"], 0.0)
    for pid, (kind, seconds) in after.items():
        earlier = before.get(pid)
        totals[kind] += seconds - (earlier[1] if earlier and earlier[0] == kind else 0.0)
    return totals


def wrk_run(
    url: str, lua: str, clients: int, seconds: float, *, threads: int = 2, done_dir: Path | None = None
) -> WrkRun:
    """``wrk`` with ``clients`` keep-alive connections over ``threads`` threads on ``url`` for ``seconds``, each
    request from the script ``lua`` (made by ``lua_per_request``: its threads count must be ``threads``). Requests/s
    are the answers read over the run's duration; requests still in flight when it ends are not counted.

    ``done_dir``: the script ends the run itself, each thread creating a file there once it has sent its share (wrk
    has no request count, and its threads cannot end the run); wrk is stopped (SIGINT, after which it reports the
    time actually run) once every thread's file is there, or after ``seconds`` at the latest."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        args = ["wrk", f"-t{threads}", f"-c{max(clients, threads)}", f"-d{seconds:.0f}s", "--timeout", "30s"]
        args += ["-s", script.name, url]
        before = cpu_by_process()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done_dir is not None:
            while proc.poll() is None and len(list(done_dir.iterdir())) < threads:
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=seconds + 90)
        after = cpu_by_process()
    finally:
        Path(script.name).unlink()
    line = re.search(r"^LOADGEN requests=.*$", out, re.M)
    if line is None:
        raise RuntimeError(f"wrk printed no LOADGEN summary (Lua error?):\n{out}\n{err}")
    fields = dict(pair.split("=", 1) for pair in line.group(0).split()[1:])
    first = re.search(r"^LOADGEN first_failure=(.*)$", out, re.M).group(1)
    seconds_run = float(fields["seconds"])
    # A run that ends itself counts the answers its script counted (not the extra calls it made while ending).
    requests_ = int(fields["answers"] if done_dir is not None else fields["requests"])
    return WrkRun(
        rps=requests_ / seconds_run,
        requests=requests_,
        seconds=seconds_run,
        p50_ms=int(fields["p50_us"]) / 1000,
        p99_ms=int(fields["p99_us"]) / 1000,
        failures=int(fields["failures"]),
        socket_errors=int(fields["socket_errors"]),
        made=int(fields["made"]),
        max_round=int(fields["max_round"]),
        first_failure=first,
        cpu_ms={kind: 1000 * seconds for kind, seconds in cpu_between(before, after).items()},
    )
