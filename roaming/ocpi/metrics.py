"""Prometheus metrics of the OCPI layer, served at ``/metrics`` (text exposition format).

Two kinds:

* **Observed in the process**: ``ocpi_http_request_duration_seconds`` (every OCPI call in and out, by direction,
  module, method and HTTP status class; recorded where the traffic log records the call, so both directions are
  measured once) and ``ocpi_authorization_duration_seconds`` (modules that decide authorizations observe it).
  With several server workers (processes), set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so the workers'
  samples are aggregated (prometheus_client's multiprocess mode); without it each worker reports its own.
* **Read from the database at scrape time** (so they are right whichever process did the work): the push backlog
  and failed pushes per partner, the age of the oldest pending push, and the age of the last successful pull per
  partner and module.

``/metrics`` is open to callers allowed by ``METRICS_ALLOWED_IPS`` (default: loopback only) that did not come
through a reverse proxy (a forwarded request needs the token), or bearing ``METRICS_TOKEN``; it carries partner
names and counts, not secrets.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

OCPI_HTTP_SECONDS = Histogram(
    "ocpi_http_request_duration_seconds",
    "Duration of OCPI calls, inbound (partners calling us) and outbound (us calling partners).",
    ["direction", "module", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
AUTHORIZATION_SECONDS = Histogram(
    "ocpi_authorization_duration_seconds",
    "Time to decide whether a token may charge, by outcome and by where the decision was taken.",
    ["outcome", "source"],
    buckets=LATENCY_BUCKETS,
)


def observe_ocpi_call(*, direction: str, module: str, method: str, http_status: int | None, seconds: float) -> None:
    """Record one OCPI exchange. ``http_status`` None (no answer: timeout, refused) is reported as ``none``."""
    status = f"{http_status // 100}xx" if http_status else "none"
    OCPI_HTTP_SECONDS.labels(direction, module or "unknown", method.upper()[:8], status).observe(max(0.0, seconds))


class OcpiStateCollector(Collector):
    """Gauges computed from the outbox and sync-run tables when Prometheus scrapes."""

    def collect(self):
        from roaming.ocpi import selectors  # models load after the app registry

        backlog = GaugeMetricFamily(
            "ocpi_push_backlog", "Pushes waiting for delivery, per partner.", labels=["partner", "partner_id"]
        )
        failed = GaugeMetricFamily(
            "ocpi_push_failed",
            "Pushes a partner refused or that ran out of attempts.",
            labels=["partner", "partner_id"],
        )
        oldest = GaugeMetricFamily(
            "ocpi_push_oldest_pending_age_seconds",
            "Age of the oldest pending push, per partner.",
            labels=["partner", "partner_id"],
        )
        now = timezone.now()
        rows = selectors.push_backlog_by_partner()
        for row in rows:
            labels = [row["partner__name"], str(row["partner_id"])]
            backlog.add_metric(labels, row["pending"])
            failed.add_metric(labels, row["failed"])
            if row["oldest"] is not None:
                oldest.add_metric(labels, (now - row["oldest"]).total_seconds())
        yield backlog
        yield failed
        yield oldest

        pull_age = GaugeMetricFamily(
            "ocpi_pull_last_success_age_seconds",
            "Seconds since the last successful pull, per partner and module.",
            labels=["partner", "partner_id", "module"],
        )
        last = selectors.last_pull_by_partner_module()
        for row in last:
            if row["finished"] is not None:
                pull_age.add_metric(
                    [row["partner__name"], str(row["partner_id"]), row["module"]],
                    (now - row["finished"]).total_seconds(),
                )
        yield pull_age


_state_collector = OcpiStateCollector()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(_state_collector)
    return registry


def _allowed(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    if request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_FORWARDED"):
        # Came through a reverse proxy: REMOTE_ADDR is the proxy's (often loopback), not the caller's.
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = getattr(settings, "METRICS_ALLOWED_IPS", ["127.0.0.0/8", "::1/128"])
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def metrics_view(request):
    """``GET /metrics``: Prometheus text exposition."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    started = time.monotonic()
    body = generate_latest(_registry())
    body += f"# scrape took {time.monotonic() - started:.4f} s\n".encode()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
