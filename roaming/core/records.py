"""Writing record rows on a hot path: an audit trail entry a request leaves behind (an authorization we issued, a
decision we took) that the request's answer does not depend on.

PostgreSQL makes every commit wait for its WAL to reach the disk (``synchronous_commit``): 1.5-3 ms on this kind of
machine, as much as the rest of an authorization. ``record_create`` inserts such a row in one statement that also
turns that wait off for its own transaction (``set_config('synchronous_commit', 'off', true)`` in ``RETURNING``,
evaluated before the commit): the row is visible at once and on disk within a few hundred milliseconds
(``wal_writer_delay``); only a crash of PostgreSQL itself in that window loses it, and it never leaves the database
inconsistent. Inside a caller's transaction it is a plain insert (that commit is the caller's to make, and must not
change behind its back); on other databases (SQLite for ``make run``) too.
"""

from typing import TypeVar

from django.db import connection, models

from roaming.core.sql import insert_returning_pk, insert_sql

M = TypeVar("M", bound=models.Model)


def records_insert(model: type[M], instances: list[M]) -> None:
    """Insert many rows in one ``executemany`` (pipelined by psycopg), keeping every field as set on the instances:
    unlike ``bulk_create``, an ``auto_now_add`` column keeps the time the instance was made (a buffered log line's
    time is the time of the call, not of the write). Instances get no primary key back."""
    sql, columns = insert_sql(model)
    rows = [[f.get_db_prep_save(getattr(instance, f.attname), connection) for f in columns] for instance in instances]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def record_create(model: type[M], **fields) -> M:
    """``model.objects.create(**fields)``; committed without waiting for the disk when it is its own transaction."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        return model.objects.create(**fields)
    instance = model(**fields)
    insert_returning_pk(instance, returning=", set_config('synchronous_commit', 'off', true)")
    return instance
