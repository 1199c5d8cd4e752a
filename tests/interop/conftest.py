"""A real third-party OCPI peer for the interop tests: py-ocpi 0.3.1 (FastAPI 0.68 + pydantic 1).

It cannot share our virtualenv, so the first run builds one under ``.pytest-peers/`` (gitignored, keyed by a hash of
``peer-requirements.txt``, reused afterwards) with pip from PyPI. Each test gets fresh peers on free loopback ports,
started with the glue in ``pyocpi_peer.py`` and stopped by pid.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "peer-requirements.txt"
GLUE = HERE / "pyocpi_peer.py"
CACHE = Path(os.environ.get("ROAMING_PEERS_DIR") or HERE.parent.parent / ".pytest-peers")


def _peer_python() -> Path:
    """The peer virtualenv's python, built once per requirements file (about 20 s) and reused."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = CACHE / f"py-ocpi-{digest}"
    python = venv / "bin" / "python"
    ready = venv / ".ready"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once build it once
        if not ready.exists():
            shutil.rmtree(venv, ignore_errors=True)
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                    str(REQUIREMENTS),
                ],
                check=True,
            )
            ready.write_text(f"built in {time.monotonic() - started:.1f} s\n")
    return python


@pytest.fixture(scope="session")
def peer_python() -> Path:
    return _peer_python()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Peer:
    role: str
    url: str
    token_a: str
    process: subprocess.Popen

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"


@pytest.fixture
def start_peer(peer_python, tmp_path):
    """``start_peer(role, seed={module: [objects]})``: a running py-ocpi peer playing ``role``."""
    peers: list[Peer] = []

    def start(role: str, seed: dict | None = None) -> Peer:
        port = _free_port()
        seed_file = tmp_path / f"seed-{role}-{port}.json"
        seed_file.write_text(json.dumps(seed or {}))
        token_a = secrets.token_urlsafe(16)
        env = {**os.environ, "OCPI_HOST": f"127.0.0.1:{port}"}
        log = open(tmp_path / f"peer-{role}-{port}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                str(peer_python),
                str(GLUE),
                "--role",
                role,
                "--port",
                str(port),
                f"--token-a={token_a}",  # a random token may start with "-", which argparse reads as an option
                "--seed",
                str(seed_file),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        peer = Peer(role=role, url=f"http://127.0.0.1:{port}", token_a=token_a, process=process)
        peers.append(peer)
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(peer.versions_url, timeout=1).status_code == 200:
                    return peer
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"py-ocpi peer did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.1)

    yield start
    for peer in peers:
        peer.process.terminate()
        try:
            peer.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            peer.process.kill()
            peer.process.wait()
