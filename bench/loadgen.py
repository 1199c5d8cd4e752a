"""What the benchmark scripts share: an extra gunicorn for an end-to-end instance, raw keep-alive HTTP for the
asyncio load generators, and a full paged pull of an OCPI Sender list as a partner does it.

Imported by the scripts in this folder (``python bench/bench_x.py`` puts the folder on ``sys.path``).
"""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import orjson
import requests

from tests.e2e.harness import BIN, ROOT, Instance, free_port


def start_server(instance: Instance, workers: int, threads: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    """A gunicorn of ``instance`` on a free loopback port, with persistent database connections; (process, URL)."""
    port = free_port()
    # Production settings where the e2e harness departs from them for its tests' sake.
    env = {**instance.env, "DATABASE_CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING", "OCPI_TRAFFIC_LOG_FLUSH_SECONDS": "1"}
    log = open(workdir / f"bench-{instance.name}.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--control-socket", str(workdir / f"bench-{instance.name}.ctl"),
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
