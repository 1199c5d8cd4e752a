"""Mutual exclusion for the push and pull engines that holds however long the work takes.

A cache lock with a TTL breaks both ways: a delivery slower than the TTL lets a second worker in (two deliveries of
one object race, order is lost), and a worker killed while holding it stalls the object until the TTL ends. On
PostgreSQL we use a session-level advisory lock instead: held exactly as long as the work runs, released by the
server the moment the holder's connection closes (a killed worker included). No transaction stays open while we talk
to a partner. Other databases (SQLite in development, where tasks run in-process) fall back to a cache lock.
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger("roaming.ocpi.locks")

# Key space: hashtextextended(name, seed) -> bigint; the seed keeps our keys apart from anyone else's.
_SEED = 0x0C91


@contextmanager
def exclusive(name: str, *, fallback_ttl: int) -> Iterator[bool]:
    """Try to take the lock ``name`` without waiting; yield whether it was taken, release it on exit."""
    if connection.vendor != "postgresql":
        with _cache_lock(name, fallback_ttl) as taken:
            yield taken
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, %s))", [name, _SEED])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, %s))", [name, _SEED])
            except DatabaseError:
                # The connection is gone, and with it the lock: the server released it.
                logger.warning("could not release lock %s: the database connection was lost", name)


@contextmanager
def _cache_lock(name: str, ttl: int) -> Iterator[bool]:
    owner = uuid.uuid4().hex
    taken = cache.add(name, owner, ttl)
    try:
        yield taken
    finally:
        if taken and cache.get(name) == owner:
            cache.delete(name)
