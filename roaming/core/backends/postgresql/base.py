"""Django's PostgreSQL backend with a health check that costs no round trip while the connection is busy.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request that reuses a
persistent connection. Under partner load (hundreds of OCPI calls a second, each a few queries) that is one round
trip in four or five, spent proving what the previous request, milliseconds ago, already proved. This wrapper skips
the check while the connection served a request without a database error less than ``HEALTH_CHECK_GRACE`` seconds
ago (setting ``DATABASE_HEALTH_CHECK_GRACE``, default 2) and psycopg does not already know it broken; a connection
idle for longer is checked as before. The window is what a request in flight when the server restarts meets anyway:
its query fails, Django closes the connection at the end of that request, and the next one reconnects.
"""

import json
import time

import orjson
from django.conf import settings
from django.db.backends.postgresql import base
from psycopg.types.json import Jsonb


def _json_dumps(value) -> bytes | str:
    """A JSONField's value (no encoder of its own) as JSON text: orjson, several times faster than ``json.dumps`` (a
    session row carries its meter readings, periods and tariff, rewritten on every reading), and ``json.dumps``,
    Django's own, for whatever orjson refuses (integers beyond 64 bits, non-string keys) or would write where
    ``json.dumps`` refuses (dates, dataclasses, str/int subclasses other than enums): the same JSON values stored,
    the same TypeError for what cannot be. Two differences, for values none of our code stores: a float NaN or
    infinity becomes null (``json.dumps`` writes NaN, which PostgreSQL refuses), and a plain ``Enum`` its value."""
    try:
        return orjson.dumps(value, default=_refuse, option=orjson.OPT_PASSTHROUGH_DATETIME | _PASSTHROUGH)
    except TypeError:
        return json.dumps(value)


_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _refuse(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class DatabaseOperations(base.DatabaseOperations):
    def adapt_json_value(self, value, encoder):
        if encoder is None:
            return Jsonb(value, dumps=_json_dumps)
        return super().adapt_json_value(value, encoder)

    def last_executed_query(self, cursor, sql, params):
        # Django reads the text from a client-side binding cursor; a prepared one keeps none: compose it, as Django
        # does under server-side binding (only for the query log of tests and DEBUG).
        if isinstance(cursor, PreparedCursor):
            try:
                return self.compose_sql(sql, params)
            except Exception:  # the log must not fail the query it logs
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    healthy_at: float = float("-inf")

    def close_if_health_check_failed(self):
        if (
            self.health_check_enabled
            and not self.health_check_done
            and self.connection is not None
            and not self.connection.broken
            and time.monotonic() - self.healthy_at < getattr(settings, "DATABASE_HEALTH_CHECK_GRACE", 2.0)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called when each request starts and ends (``close_old_connections``). ``health_check_done`` is reset here
        # and set by the first query after: still set means the request now ending used the connection, and with no
        # error since, it is known good as of now.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.healthy_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if connection.prepare_threshold is None and getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            # Django passes None, which makes psycopg ignore even ``prepare=True``. Django's own cursors bind
            # client-side and are never prepared whatever this says; so high, nothing else is prepared by count.
            connection.prepare_threshold = 1 << 30
        return connection

    def prepared_cursor(self):
        """A cursor whose statements are bound server-side and prepared on this connection (``PreparedCursor``), for
        the hot statements written once as SQL (``roaming.core.sql.hot_cursor``); a plain cursor when
        ``DATABASE_PREPARED_STATEMENTS`` is off (a pooler in transaction mode that cannot keep prepared statements)."""
        if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True):
            return self.cursor()
        # What ``cursor()`` does, with our cursor class: health check, connection, Django's wrapper (error
        # translation, execute wrappers, the query log of tests and DEBUG).
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(PreparedCursor(self.connection))


class PreparedCursor(base.ServerBindingCursor):
    """psycopg's server-side binding with ``prepare=True``: PostgreSQL parses and plans the statement once per
    connection, and every later execution only binds and runs it. Django turns psycopg's automatic preparation off
    (for poolers); for a statement run on every meter reading or partner call, planning cost PostgreSQL more than
    running it (a session's row by transaction id: 0.33 ms a call simple, 0.15 ms prepared, pgbench). Statements
    through it list their columns: a prepared ``SELECT *`` fails once a migration adds a column."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)
