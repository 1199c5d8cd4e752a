"""What queueing a task after a write costs while the broker is down (issue "Fit for money", Faults).

    .venv/bin/python bench/bench_publish_broker_down.py [--calls 20]

Publishes ``ocpi.outbox_deliver`` through ``roaming.ocpi.queueing.publish`` to a Redis URL where nothing listens,
as a CSMS write's after-commit hook does during an outage, and prints per call: the first call (connection attempt
included, plus Django and kombu warm-up) and the median of the rest, next to the floor we hold for it (the drill
that filed the issue measured 1.26 s per write, this script measured ~2.0 s per call before the fix).
"""

import argparse
import os
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")  # development secrets suffice: nothing is stored

import django  # noqa: E402

django.setup()

from config.celery import app  # noqa: E402
from roaming.ocpi.queueing import publish  # noqa: E402
from roaming.ocpi.tasks import outbox_deliver_task  # noqa: E402

FLOOR_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20)
    calls = parser.parse_args().calls
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    app.conf.task_always_eager = False
    durations = []
    for _ in range(calls):
        started = time.monotonic()
        assert not publish(outbox_deliver_task, (1, "locations", "bench"))
        durations.append(time.monotonic() - started)
    rest = statistics.median(durations[1:]) if len(durations) > 1 else durations[0]
    print(f"first_call_s={durations[0]:.3f}  median_call_s={rest:.4f}  floor_for_median_s={FLOOR_S}")


if __name__ == "__main__":
    main()
