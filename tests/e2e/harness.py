"""Two independent back-office instances for end-to-end tests.

Each instance is a real deployment in miniature: its own PostgreSQL database, granian serving HTTP on loopback,
and a Celery worker consuming its own Redis database. Tests drive them the way staff and partners do: management
commands, Celery tasks and OCPI calls over HTTP.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_admin_dsn(database_url: str) -> tuple[str, str]:
    """Split a postgres URL into (server DSN on the 'postgres' database, base URL without database)."""
    base, _, _ = database_url.rpartition("/")
    return f"{base}/postgres", base


def recreate_database(database_url: str, name: str, template: str | None = None) -> str:
    admin_dsn, base = pg_admin_dsn(database_url)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{base}/{name}"


@dataclass
class Instance:
    """One running back office."""

    name: str
    country_code: str
    party_id: str
    roles: str
    database_url: str
    redis_url: str
    workdir: Path
    queue: str
    port: int = field(default_factory=free_port)
    processes: list = field(default_factory=list)
    #: settings a drill overrides for the processes it (re)starts, e.g. a broker URL where nothing listens
    extra_env: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": self.database_url,
                "DATABASE_CONN_MAX_AGE": "0",
                "REDIS_URL": self.redis_url,
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "SECRET_KEY": f"e2e-secret-{self.name}-0123456789abcdefghijklmnopqrstuvwxyz",
                # Production settings refuse to start without a key of their own (never derived from SECRET_KEY).
                "CREDENTIALS_ENCRYPTION_KEYS": base64.urlsafe_b64encode(
                    f"e2e-fernet-{self.name}".ljust(32)[:32].encode()
                ).decode(),
                "OCPI_BASE_URL": self.base_url,
                "OCPI_COUNTRY_CODE": self.country_code,
                "OCPI_PARTY_ID": self.party_id,
                "OCPI_ROLES": self.roles,
                "OCPI_BUSINESS_NAME": f"{self.name.upper()} platform",
                "OCPI_CLIENT_RETRIES": "1",
                "OCPI_CLIENT_BACKOFF": "0.1",
                "OCPI_CLIENT_TIMEOUT": "10",
                # Retry fast so an outage test does not wait minutes for the next attempt.
                "OCPI_PUSH_BACKOFF_BASE": "0.5",
                "OCPI_PUSH_BACKOFF_MAX": "3",
                "LOG_LEVEL": "INFO",
                # The tests read the traffic log right after a call: each entry written at once (the benchmarks'
                # servers keep the production default, bench/loadgen.py).
                "OCPI_TRAFFIC_LOG_FLUSH_SECONDS": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def _spawn(self, label: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{self.name}-{label}.log", "ab")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((label, proc, log))
        return proc

    def start_web(self) -> None:
        self._spawn(
            "web",
            [
                str(BIN / "granian"),
                "--interface",
                "wsgi",
                "config.wsgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--blocking-threads",
                "8",
                "--workers-kill-timeout",
                "2",
                "--no-ws",
            ],
        )

    def start_worker(self) -> None:
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "-P",
                "threads",
                "-c",
                "4",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                "-n",
                f"{self.name}@%h",
            ],
        )

    def start(self) -> None:
        self.start_web()
        self.start_worker()
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for label, proc, _ in self.processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.name} {label} exited early:\n{self.logs()}")
            try:
                if requests.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up:\n{self.logs()}")

    def purge_queue(self) -> None:
        """Drop tasks a previous run left in this instance's queue (other runs use other queues)."""
        import redis

        redis.Redis.from_url(self.redis_url).delete(self.queue)

    def stop_process(self, label: str) -> None:
        for entry in list(self.processes):
            name, proc, log = entry
            if name == label:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                log.close()
                self.processes.remove(entry)

    def stop(self) -> None:
        for label in {label for label, _, _ in self.processes}:
            self.stop_process(label)

    def logs(self, tail: int = 60) -> str:
        out = []
        for path in sorted(self.workdir.glob(f"{self.name}-*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            out.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(out)

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{self.name}: manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def shell(self, code: str) -> str:
        """Run Python inside the instance (Django set up) and return what it printed."""
        return self.manage("shell", "-c", code).stdout

    def shell_json(self, code: str):
        """Run Python that ends by printing one JSON document; return it parsed."""
        return json.loads(self.shell(code).strip().splitlines()[-1])

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()

    def wait_for(self, sql: str, params=(), *, expect=lambda rows: bool(rows), timeout: float = 45) -> list[tuple]:
        deadline = time.monotonic() + timeout
        rows = []
        while time.monotonic() < deadline:
            rows = self.query(sql, params)
            if expect(rows):
                return rows
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: timed out waiting for {sql!r}; last rows: {rows}\n{self.logs()}")


class Pair:
    """A CPO instance (NL/CPO) and an eMSP instance (DE/MSP), started on fresh databases."""

    def __init__(self, database_url: str, redis_url: str):
        self.workdir = Path(tempfile.mkdtemp(prefix="roaming-e2e-"))
        redis_base = redis_url.rsplit("/", 1)[0] if redis_url.count("/") > 2 else redis_url
        # The instances use the two Redis databases after REDIS_URL's, so concurrent runs on other bases
        # (REDIS_URL .../0, .../3, .../6...) never share locks or caches.
        tail = redis_url.rsplit("/", 1)[1] if redis_url.count("/") > 2 else "0"
        redis_db = int(tail) if tail.isdigit() else 0
        self.database_url = database_url
        # Names derive from DATABASE_URL's database, so runs against different databases never collide.
        prefix = database_url.rsplit("/", 1)[1].split("?")[0] or "roaming"
        self.template = template = f"{prefix}_e2e_template"
        template_url = recreate_database(database_url, template)
        migrate = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": template_url,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                # Production settings refuse to start without secrets of their own: these only migrate a template.
                "SECRET_KEY": "e2e-template-secret-0123456789abcdefghijklmnopqrstuvwxyz",
                "CREDENTIALS_ENCRYPTION_KEYS": base64.urlsafe_b64encode(b"e2e-template-fernet-key-32-bytes").decode(),
            },
            capture_output=True,
            text=True,
        )
        if migrate.returncode:
            raise RuntimeError(f"migrating the e2e template failed:\n{migrate.stdout}\n{migrate.stderr}")
        self.cpo = Instance(
            name="cpo",
            country_code="NL",
            party_id="CPO",
            roles="CPO",
            database_url=recreate_database(database_url, f"{prefix}_e2e_cpo", template),
            redis_url=f"{redis_base}/{redis_db + 1}",
            workdir=self.workdir,
            queue=f"{prefix}-e2e-cpo",
        )
        self.emsp = Instance(
            name="emsp",
            country_code="DE",
            party_id="MSP",
            roles="EMSP",
            database_url=recreate_database(database_url, f"{prefix}_e2e_emsp", template),
            redis_url=f"{redis_base}/{redis_db + 2}",
            workdir=self.workdir,
            queue=f"{prefix}-e2e-emsp",
        )
        for instance in (self.cpo, self.emsp):
            instance.purge_queue()

    def reset(self) -> None:
        """Stop both instances, give them fresh databases and empty queues, start them again."""
        for instance in (self.cpo, self.emsp):
            instance.stop()
            recreate_database(self.database_url, instance.database_url.rsplit("/", 1)[1], self.template)
            instance.purge_queue()
        self.start()

    def start(self) -> None:
        for instance in (self.cpo, self.emsp):
            instance.start_web()
            instance.start_worker()
        self.cpo.wait_ready()
        self.emsp.wait_ready()

    def stop(self) -> None:
        self.cpo.stop()
        self.emsp.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        return self.cpo.logs() + "\n" + self.emsp.logs()


def register(initiator: Instance, receiver: Instance, *, via_celery: bool = False) -> dict:
    """``receiver`` invites ``initiator``; the initiator registers with the token A. Returns what happened."""
    invitation = json.loads(
        receiver.manage("invite_partner", "--name", f"{initiator.name} platform", "--json").stdout.strip()
    )
    if not via_celery:
        out = initiator.manage(
            "register_partner",
            "--versions-url",
            invitation["versions_url"],
            # "--token=VALUE": a random token starting with "-" would be read as an option (1 run in 64)
            f"--token={invitation['token']}",
            "--json",
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    else:
        partner_id = initiator.shell_json(
            "import json\n"
            "from django.db import transaction\n"
            "from roaming.partners.services import partner_create_outbound\n"
            "from roaming.partners.tasks import partner_register_task\n"
            f"p = partner_create_outbound(versions_url={invitation['versions_url']!r}, token={invitation['token']!r})\n"
            "partner_register_task.delay(p.pk)\n"
            "print(json.dumps(p.pk))"
        )
        initiator.wait_for(
            "SELECT status FROM partners_partner WHERE id = %s",
            (partner_id,),
            expect=lambda rows: rows and rows[0][0] == "registered",
        )
        result = {"partner_id": partner_id}
    return {"invitation": invitation, "result": result}
