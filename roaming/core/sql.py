"""One model instance from a statement written once, for the hot paths (every authorization, meter reading and
partner push reads a row or two).

The ORM compiles a queryset to SQL on every call, and ``Model.objects.raw`` works out on every call which column is
which field: either costs more than a simple query's round trip. ``fetch_instance`` runs a fixed SQL text (built
once by the caller, with ``functools.cache``) and turns the row into an instance with a column plan cached per model
and column list: the same values, database converters included (JSON decoded, etc.), as the ORM would give. On
PostgreSQL the statement is prepared on the connection (``hot_cursor``), so it is planned once, not on every call.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DatabaseError, connection, models
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)


@functools.cache
def _plan(model: type[models.Model], columns: tuple[str, ...]):
    """For a row of ``columns``: the concrete fields present (in model order, as ``Model.from_db`` takes them), each
    with its column's position and converters, and the other columns (annotations) with their positions."""
    by_column = {field.column: field for field in model._meta.concrete_fields}
    position = {name: i for i, name in enumerate(columns)}
    fields = []
    for field in model._meta.concrete_fields:
        if field.column in position:
            expression = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
            fields.append((field.attname, position[field.column], tuple(converters), expression))
    extras = tuple((name, i) for i, name in enumerate(columns) if name not in by_column)
    return tuple(name for name, *_ in fields), tuple(fields), extras


def _convert(value: Any, converters: tuple[Callable, ...], expression) -> Any:
    for converter in converters:
        value = converter(value, expression, connection)
    return value


def _column_names(cursor) -> tuple[str, ...]:
    """The result's column names. psycopg's ``description`` builds a ``Column`` object per column on every call
    (sixty for a session row, more than the rest of the read costs): the names alone come from the result."""
    result = getattr(cursor.cursor, "pgresult", None)
    if result is None:  # not psycopg (SQLite for ``make run``)
        return tuple(column[0] for column in cursor.description)
    return tuple(result.fname(i).decode() for i in range(result.nfields))


def hot_cursor():
    """A cursor for a hot statement written once: prepared on the connection on PostgreSQL (our backend's
    ``prepared_cursor``), a plain one elsewhere. Its SQL names its columns (``columns``), never ``*``."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()


def columns(model: type[models.Model], alias: str = "") -> str:
    """The model's columns for a SELECT list, quoted, each prefixed with ``alias.`` when given."""
    q = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{q(field.column)}" for field in model._meta.concrete_fields)


def fetch_instance(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The first row of ``sql`` as a ``model`` instance (columns that are not fields become attributes), or None."""
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        columns = _column_names(cursor)
    return _instance(model, columns, row)


def fetch_instances(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """Every row of ``sql`` as a ``model`` instance, as ``fetch_instance`` makes them."""
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        columns = _column_names(cursor) if rows else ()
    return [_instance(model, columns, row) for row in rows]


def _instance(model: type[M], columns: tuple[str, ...], row: Sequence[Any]) -> M:
    names, fields, extras = _plan(model, columns)
    values = [_convert(row[i], converters, expression) for _, i, converters, expression in fields]
    instance = model.from_db(connection.alias, names, values)
    for name, i in extras:
        setattr(instance, name, row[i])
    return instance


@functools.cache
def insert_sql(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...]]:
    """``INSERT INTO table (columns) VALUES (%s, ...)`` for every concrete field but the primary key, and the fields."""
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    return sql, fields


@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...]) -> tuple[str, tuple[models.Field, ...]]:
    fields = tuple(model._meta.get_field(name) for name in names)
    q = connection.ops.quote_name
    assignments = ", ".join(f"{q(f.column)} = %s" for f in fields)
    return f"UPDATE {q(model._meta.db_table)} SET {assignments} WHERE {q(model._meta.pk.column)} = %s", fields  # noqa: S608


def insert_instance(instance: M, *, if_absent: bool = False) -> M | None:
    """``instance.save()`` of a new instance in one prepared statement (a partner's session PUT creates one per
    call): the same values (``pre_save``: ``auto_now`` and the like) and the same signals as the ORM's save, without
    compiling the INSERT each time. Off PostgreSQL, or for a primary key the database does not generate, it is the
    ORM's save.

    ``if_absent``: insert only if no row holds any of the instance's unique keys (``ON CONFLICT DO NOTHING``, every
    unique index), and return None (no ``post_save``) when one does, so a caller can try the common case (a new
    object) in one statement and no transaction, and take its locked path otherwise. Off PostgreSQL nothing is tried
    and None is returned."""
    if connection.vendor != "postgresql" or not isinstance(instance._meta.pk, models.AutoField):
        if if_absent:
            return None
        instance.save(force_insert=True)
        return instance
    model, using = type(instance), connection.alias
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    if not insert_returning_pk(instance, if_absent=if_absent):
        return None
    post_save.send(sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using)
    return instance


def insert_returning_pk(instance: models.Model, *, returning: str = "", if_absent: bool = False) -> bool:
    """INSERT a new ``instance`` (PostgreSQL, a primary key the database generates) in one prepared statement, with
    the values the ORM's save would write, and give it its primary key; no signals. ``returning``: more of the
    RETURNING list (``, expression``), evaluated in the statement. ``if_absent``: ``ON CONFLICT DO NOTHING``; False
    when a row already held one of its unique keys (nothing written, no primary key given)."""
    model = type(instance)
    sql, fields = insert_sql(model)
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    conflict = " ON CONFLICT DO NOTHING" if if_absent else ""
    pk = connection.ops.quote_name(model._meta.pk.column)
    with hot_cursor() as cursor:
        cursor.execute(f"{sql}{conflict} RETURNING {pk}{returning}", values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return True


def update_instance(instance: models.Model, update_fields: Sequence[str], *, row_version: str | None = None) -> bool:
    """``instance.save(update_fields=...)`` in one prepared statement per set of fields (a partner's session PATCH),
    with the ORM's values and signals. Off PostgreSQL it is the ORM's save.

    ``row_version`` (PostgreSQL): the row's ``xmin`` as read (``fetch_instance`` of a statement that selects
    ``xmin::text AS row_version``): the row is written only if no transaction has written it since, in autocommit
    (one statement), and False is returned (nothing written, no ``post_save``) if one has, for the caller to take its
    locked path. Without it, a row that is gone raises ``DatabaseError``, as the ORM's save."""
    if connection.vendor != "postgresql":
        instance.save(update_fields=update_fields)
        return True
    model, using, names = type(instance), connection.alias, tuple(dict.fromkeys(update_fields))
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=frozenset(names))
    sql, fields = _update_sql(model, names)
    values = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    with hot_cursor() as cursor:
        if row_version is None:
            cursor.execute(sql, [*values, instance.pk])
        else:
            cursor.execute(f"{sql} AND xmin = %s::xid", [*values, instance.pk, row_version])
        if cursor.rowcount == 0:
            if row_version is not None:
                return False
            raise DatabaseError("Save with update_fields did not affect any rows.")  # as the ORM's save
    post_save.send(
        sender=model, instance=instance, created=False, update_fields=frozenset(names), raw=False, using=using
    )
    return True
