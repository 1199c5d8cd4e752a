"""Writing the traffic log (see ``roaming.ocpi.models.TrafficLog``).

Every call is logged. A refused or failed call (HTTP 4xx/5xx, an OCPI status outside 1xxx, no answer) and every
outbound call is written at once, inside the call. A successful **inbound** call is written in batches: it waits in
its process's buffer for at most ``OCPI_TRAFFIC_LOG_FLUSH_SECONDS`` (1 s by default, or until
``OCPI_TRAFFIC_LOG_BATCH`` entries wait) and a background thread inserts the batch in one statement. A partner's
success costs it one round trip less per call (a hot endpoint such as ``authorize`` spends a third of its database
time on its own log line otherwise); the entry keeps the time of the call, not of the write. What a process killed
without warning (SIGKILL, out of memory) had not written yet is lost: at most one interval of successful calls, never
a refusal or an error. A clean stop (SIGTERM, a graceful restart) writes the buffer before exiting.
``OCPI_TRAFFIC_LOG_FLUSH_SECONDS=0`` writes every entry at once.
"""

import atexit
import contextlib
import json
import logging
import multiprocessing.util
import os
import re
import threading
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.utils import timezone

from roaming.core.records import records_insert
from roaming.ocpi.metrics import observe_ocpi_call
from roaming.ocpi.models import TrafficLog
from roaming.ocpi.renderers import loads

logger = logging.getLogger("roaming.ocpi.traffic")

_REDACTED_HEADERS = {"authorization", "cookie"}


def cut(body: bytes | str | None) -> str:
    if not body:
        return ""
    limit = settings.OCPI_TRAFFIC_LOG_BODY_LIMIT
    if isinstance(body, bytes):
        # Decode only what can be kept (a UTF-8 character is at most 4 bytes): a page of 1,000 locations is ~2 MB.
        text = body[: limit * 4].decode("utf-8", errors="replace")
        if len(body) <= limit:
            return text
        return f"{text[:limit]}... [{len(body) - len(text[:limit].encode())} more bytes cut]"
    return body if len(body) <= limit else f"{body[:limit]}... [{len(body) - limit} more characters cut]"


# A Credentials object's token (credentials.asciidoc): token B or C in clear, in requests and replies both ways.
_CREDENTIALS_TOKEN = re.compile(r'("token"\s*:\s*")((?:[^"\\]|\\.)*)(")')
CREDENTIALS_MODULE = "credentials"


def redact_credentials(body: str) -> str:
    """Replace the value of every ``"token"`` member of a credentials body with ``<redacted>`` (the body may be cut
    or not even JSON: a regular expression, not a parser)."""
    return _CREDENTIALS_TOKEN.sub(r"\1<redacted>\3", body) if body else body


def _text(body: bytes | str | None) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body or ""


def redact_headers(headers) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        out[key] = "<redacted>" if key.lower() in _REDACTED_HEADERS else str(value)[:500]
    return out


_STATUS_CODE = re.compile(rb'"status_code"\s*:\s*(\d+)')
_STATUS_MESSAGE = re.compile(rb'"status_message"\s*:\s*"((?:[^"\\]|\\.)*)"')
_FULL_PARSE_LIMIT = 65_536


def ocpi_status_of(body: bytes | str | None) -> tuple[int | None, str]:
    """Read status_code / status_message from an envelope body without failing on garbage.

    A large body (a page of locations) is not parsed whole to find two fields: the envelope's own keys sit at its
    end (ours) or its start (some partners'), so those windows are searched.
    """
    if not body:
        return None, ""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > _FULL_PARSE_LIMIT:
        for window in (raw[-4096:], raw[:4096]):
            code = _STATUS_CODE.search(window)
            if code:
                message = _STATUS_MESSAGE.search(window)
                text = ""
                if message:
                    with contextlib.suppress(ValueError):
                        text = json.loads(b'"' + message.group(1) + b'"')
                return int(code.group(1)), str(text)[:2000]
        return None, ""
    try:
        parsed = loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, ""
    if isinstance(parsed, dict) and isinstance(parsed.get("status_code"), int):
        return parsed["status_code"], str(parsed.get("status_message") or "")[:2000]
    return None, ""


def traffic_record(
    *,
    direction: str,
    method: str,
    url: str,
    partner_id: int | None = None,
    module: str = "",
    http_status: int | None = None,
    duration_ms: int = 0,
    request_id: str = "",
    correlation_id: str = "",
    request_headers=None,
    request_body=None,
    response_body=None,
    error: str = "",
    defer_success: bool = False,
) -> TrafficLog | None:
    """Store one exchange. Logging must never break the call it logs, so failures are only reported.

    ``defer_success`` (the inbound middleware): a successful exchange goes to the buffer written in batches (see the
    module docstring) and None is returned; anything else is written at once and returned."""
    observe_ocpi_call(
        direction=direction, module=module, method=method, http_status=http_status, seconds=duration_ms / 1000
    )
    if not settings.OCPI_TRAFFIC_LOG_ENABLED:
        return None
    ocpi_status, status_message = ocpi_status_of(response_body)
    if module == CREDENTIALS_MODULE:
        # Redacted before cutting: a token cut in half would no longer match.
        request_body, response_body = redact_credentials(_text(request_body)), redact_credentials(_text(response_body))
    entry = TrafficLog(
        created_at=timezone.now(),
        direction=direction,
        partner_id=partner_id,
        module=module or "",
        method=method.upper()[:8],  # any token is a valid HTTP method; the column holds the usual ones
        url=url[:4000],
        http_status=http_status,
        ocpi_status=ocpi_status,
        status_message=status_message,
        duration_ms=max(0, int(duration_ms)),
        request_id=(request_id or "")[:100],
        correlation_id=(correlation_id or "")[:100],
        request_headers=redact_headers(request_headers or {}),
        request_body=cut(request_body),
        response_body=cut(response_body),
        error=error[:4000],
    )
    succeeded = entry.succeeded and not error
    if defer_success and succeeded and settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS > 0:
        _buffer.add(entry)
        return None
    try:
        # A savepoint: a failed insert must not poison a transaction the caller may be in.
        with transaction.atomic():
            entry.save(force_insert=True)
            return entry
    except Exception:
        logger.exception("could not write the traffic log for %s %s", method, url)
        return None


def _insert_entries(entries: list[TrafficLog]) -> None:
    """One pipelined insert of the batch, each entry keeping its ``created_at`` (the time of the call)."""
    records_insert(TrafficLog, entries)


class _TrafficBuffer:
    """Successful inbound entries of this process, written by a daemon thread once the oldest has waited
    ``OCPI_TRAFFIC_LOG_FLUSH_SECONDS`` or as soon as ``OCPI_TRAFFIC_LOG_BATCH`` wait. Thread-safe (a worker's threads
    share it); a forked child starts with an empty buffer and a writer of its own."""

    #: how often the writer looks at the buffer (the setting is read afresh each time)
    TICK = 0.2

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: list[TrafficLog] = []
        self._oldest = 0.0
        self._wake = threading.Event()
        self._pid = None
        self.writer_db = None

    def add(self, entry: TrafficLog) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this process (or in a fork): start its writer
                self._pid = os.getpid()
                self._entries = []
                self._wake = threading.Event()
                threading.Thread(target=self._run, name="traffic-log-writer", daemon=True).start()
                # A worker that is a multiprocessing child (granian's) ends with os._exit, which skips atexit;
                # multiprocessing runs the finalizers given an exit priority first. Registered here, in the process
                # that buffers: a forked child starts with none of its parent's.
                multiprocessing.util.Finalize(None, traffic_flush, exitpriority=100)
            if not self._entries:
                self._oldest = time.monotonic()
            self._entries.append(entry)
            full = len(self._entries) >= settings.OCPI_TRAFFIC_LOG_BATCH
        if full:
            self._wake.set()

    def _due(self) -> bool:
        with self._lock:
            return bool(self._entries) and time.monotonic() - self._oldest >= settings.OCPI_TRAFFIC_LOG_FLUSH_SECONDS

    #: ticks without anything to write after which the writer closes its connection (an idle process holds none)
    IDLE_TICKS = 5

    def _run(self) -> None:
        self.writer_db = connections[DEFAULT_DB_ALIAS]  # this thread's own connection
        idle = 0
        while True:
            woken = self._wake.wait(self.TICK)
            self._wake.clear()
            if woken or self._due():
                close_old_connections()  # renewed when broken or past CONN_MAX_AGE
                self.flush()
                idle = 0
            elif not self.pending():
                idle += 1
                if idle == self.IDLE_TICKS:
                    self.writer_db.close()

    def flush(self) -> int:
        """Write what waits (in the calling thread); returns how many entries were written."""
        with self._lock:
            entries, self._entries = self._entries, []
        if not entries:
            return 0
        try:
            _insert_entries(entries)
        except Exception:
            logger.exception("could not write %s traffic log entries", len(entries))
            with contextlib.suppress(Exception):
                connection.close()  # a broken connection is not reused by the next flush
            return 0
        return len(entries)

    def pending(self) -> int:
        with self._lock:
            return len(self._entries)


_buffer = _TrafficBuffer()


def traffic_flush() -> int:
    """Write the buffered successful inbound entries now (at exit, and for tests); returns how many."""
    return _buffer.flush()


atexit.register(traffic_flush)


def traffic_prune(*, older_than_days: int | None = None) -> int:
    """Delete entries older than the retention; returns how many were deleted."""
    days = settings.OCPI_TRAFFIC_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _ = TrafficLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
