"""The PostgreSQL backend's health check (roaming/core/backends/postgresql/base.py): skipped on a connection that
served a request moments ago, run as Django runs it on one idle for longer or with an error in its last request."""

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connections

pytestmark = pytest.mark.django_db(transaction=True)


class _Current:
    """``connections["default"]`` as it is when used: the wrapper itself (not the thread-local proxy), looked up at
    each use, because tests before these may have replaced the handler's wrappers."""

    def __getattr__(self, name):
        return getattr(connections["default"], name)

    def __setattr__(self, name, value):
        setattr(connections["default"], name, value)


connection = _Current()


@pytest.fixture
def checks(monkeypatch):
    """Count the ``SELECT 1`` round trips (``is_usable``) the backend makes, still making them."""
    calls = []
    wrapper_class = type(connections["default"])
    real = wrapper_class.is_usable

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(wrapper_class, "is_usable", counted)
    enabled = connection.health_check_enabled
    connection.health_check_enabled = True  # as in settings; the test database may be set up without it
    connection.ensure_connection()  # an open connection (a new one is never checked)...
    close_at, connection.close_at = connection.close_at, None  # ... that CONN_MAX_AGE does not retire mid-test
    yield calls
    connection.close_at = close_at
    connection.health_check_enabled = enabled


def _request(sql: str = "SELECT 2") -> None:
    """What Django does around a request: close_old_connections on start, the view's query, request_finished."""
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    request_finished.send(sender=None)


def test_the_backend_is_ours():
    assert type(connections["default"]).__module__ == "roaming.core.backends.postgresql.base"
    assert connection.vendor == "postgresql"


def test_a_busy_connection_is_not_checked_before_each_request(checks):
    close_old_connections()  # a request starts on a connection idle for long
    connection.healthy_at = float("-inf")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
    assert len(checks) == 1  # checked
    request_finished.send(sender=None)
    _request()
    _request()
    assert len(checks) == 1


def test_an_idle_connection_is_checked(checks, settings):
    settings.DATABASE_HEALTH_CHECK_GRACE = 0
    _request()
    _request()
    assert len(checks) == 2


def test_a_request_with_a_database_error_does_not_vouch_for_the_connection(checks):
    _request()
    before = len(checks)
    close_old_connections()
    with pytest.raises(Exception), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    request_finished.send(sender=None)  # errors_occurred: not marked healthy; closing checks it (is_usable)
    assert connection.errors_occurred or len(checks) > before
    _request()
    assert len(checks) >= before + 1
