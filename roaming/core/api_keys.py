"""Keys for the internal API (``roaming.core.models.ApiKey``): issue, revoke, and resolve a presented key.

Every CSMS call (authorize at a plug-in, each meter reading) starts with the lookup, so it is one SQL statement
(key and user joined) written once, not an ORM query compiled per call; nothing is cached, so a revoked key or a
deactivated user is refused on the very next call.
"""

from datetime import UTC, datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from roaming.core.crypto import generate_token, token_digest
from roaming.core.models import ApiKey
from roaming.core.sql import hot_cursor

#: users' columns the lookup reads; the rest load on first use (the API needs ``is_staff`` and the name)
USER_FIELDS = ("id", "username", "is_active", "is_staff", "is_superuser")


def api_key_create(*, user, name: str) -> tuple[ApiKey, str]:
    """Issue a key to ``user``: the stored row and the key itself, which is not kept and cannot be shown again."""
    key = generate_token()
    api_key = ApiKey.objects.create(user=user, name=name, prefix=key[:8], digest=token_digest(key))
    return api_key, key


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


@cache
def _user_fields() -> tuple[str, ...]:
    """``USER_FIELDS`` in the model's field order, the order ``Model.from_db`` expects values in."""
    return tuple(f.attname for f in get_user_model()._meta.concrete_fields if f.attname in USER_FIELDS)


@cache
def _lookup_sql() -> str:
    q = connection.ops.quote_name
    user_model = get_user_model()
    columns = ", ".join(f"u.{q(user_model._meta.get_field(f).column)}" for f in _user_fields())
    return (
        f"SELECT k.id, k.last_used_at, {columns} FROM {q(ApiKey._meta.db_table)} k "  # noqa: S608
        f"JOIN {q(user_model._meta.db_table)} u ON u.id = k.user_id WHERE k.digest = %s AND k.revoked_at IS NULL"
    )


def api_key_user(key: str):
    """The active user a live ``key`` acts as, or None. Marks the key used (at most once a minute: a write per
    call would cost more than the call)."""
    with hot_cursor() as cursor:  # every CSMS API call: planned once per connection
        cursor.execute(_lookup_sql(), [token_digest(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    key_id, last_used_at, *user_values = row
    user = get_user_model().from_db(connection.alias, _user_fields(), user_values)
    if not user.is_active:
        return None
    now = timezone.now()
    if _stale(last_used_at, now):
        ApiKey.objects.filter(pk=key_id).update(last_used_at=now)
    return user


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    if last_used_at is None:
        return True
    if timezone.is_naive(last_used_at):  # SQLite's raw cursor
        last_used_at = timezone.make_aware(last_used_at, UTC)
    return (now - last_used_at).total_seconds() > 60
