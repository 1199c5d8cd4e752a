"""Django's PostgreSQL backend with a health check that costs no round trip while the connection is busy.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request that reuses a
persistent connection. Under partner load (hundreds of OCPI calls a second, each a few queries) that is one round
trip in four or five, spent proving what the previous request, milliseconds ago, already proved. This wrapper skips
the check while the connection served a request without a database error less than ``HEALTH_CHECK_GRACE`` seconds
ago (setting ``DATABASE_HEALTH_CHECK_GRACE``, default 2) and psycopg does not already know it broken; a connection
idle for longer is checked as before. The window is what a request in flight when the server restarts meets anyway:
its query fails, Django closes the connection at the end of that request, and the next one reconnects.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
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
