"""Receive-side rules of partner-owned objects, shared by every module (transport_and_format.asciidoc, "Client
Owned Object Push"; each module's "Receiver Interface" and "GET List").

* one write outcome type (``WriteOutcome``) and result (``ReceiveResult``) the receiver view turns into HTTP;
* the party rule by role: a partner writes only under a country_code/party_id of one of its roles that owns the
  module (CPO for locations/tariffs/sessions/cdrs, eMSP for tokens) (``partner_parties``, ``check_partner_party``);
* lock the stored rows first (``lock_objects``: one query, pk order so concurrent writers cannot deadlock),
  refuse writes to our own objects (``refuse_own``), acknowledge and ignore a copy older than what we hold
  (``is_stale``), keep the payload as sent (``storable``);
* ``ingest_page``: the pull engine's page of a partner's objects on the same rules, validated object by object and
  written in one batch.

Services built on this raise domain errors (``roaming.core.exceptions``), never DRF exceptions, and import no
serializers: validation is passed in as a callable.
"""

import enum
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from roaming.core.exceptions import InvalidInput
from roaming.core.sql import columns, fetch_instance, hot_cursor
from roaming.ocpi.caller import serving_caller
from roaming.ocpi.renderers import dumps

Key = tuple[str, str, str]


class WriteOutcome(enum.StrEnum):
    """What a receive did; the receiver view answers CREATED with 201, the others with 200."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # identical to what we hold: acknowledged, nothing rewritten
    STALE = "stale"  # last_updated older than what we hold: acknowledged, not applied


@dataclass(frozen=True)
class ReceiveResult:
    """A write outcome and the stored object (``None`` where a service does not return it)."""

    outcome: WriteOutcome
    obj: Any = None

    @property
    def created(self) -> bool:
        return self.outcome == WriteOutcome.CREATED

    @property
    def ignored(self) -> bool:
        return self.outcome in (WriteOutcome.UNCHANGED, WriteOutcome.STALE)


def object_key(country_code: str, party_id: str, object_id: str) -> Key:
    """The CiString key of a partner object: all three parts upper-cased."""
    return country_code.upper(), party_id.upper(), object_id.upper()


@functools.cache
def _parties_sql() -> str:
    relation = apps.get_model(settings.OCPI_PARTNER_MODEL)._meta.get_field("roles")
    q = connection.ops.quote_name
    return (
        f"SELECT country_code, party_id FROM {q(relation.related_model._meta.db_table)} "  # noqa: S608
        f"WHERE {q(relation.field.column)} = %s AND role = %s"
    )


def partner_parties(partner_id: int, role: str) -> set[tuple[str, str]]:
    """The (country_code, party_id) pairs of ``partner_id``'s roles ``role`` (e.g. "CPO"), upper-cased. Every object a
    partner pushes is checked against them: while serving that partner's OCPI request, the roles its authentication
    read in this request (``serving_caller``); otherwise (a pull, a task) one statement written once."""
    caller = serving_caller()
    if caller is not None and caller.partner_id == partner_id:
        return caller.parties_as(role)
    with hot_cursor() as cursor:  # every object a partner pushes: planned once per connection
        cursor.execute(_parties_sql(), [partner_id, role])
        return {(cc.upper(), pid.upper()) for cc, pid in cursor.fetchall()}


def check_partner_party(partner_id: int, country_code: str, party_id: str, *, role: str) -> None:
    """Refuse (``InvalidInput``) an object under a party that is none of the partner's ``role`` roles."""
    if (country_code.upper(), party_id.upper()) not in partner_parties(partner_id, role):
        raise InvalidInput(
            f"{country_code}/{party_id} is not one of the partner's registered roles as {role}",
            field="country_code/party_id",
        )


@functools.cache
def _lock_one_sql(model: type[models.Model], id_field: str) -> str:
    q = connection.ops.quote_name
    column = q(model._meta.get_field(id_field).column)
    return (
        f"SELECT {columns(model)} FROM {q(model._meta.db_table)} WHERE country_code = %s AND party_id = %s "  # noqa: S608
        f"AND UPPER({column}) = %s ORDER BY {q(model._meta.pk.column)}"
        + (" FOR UPDATE" if connection.features.has_select_for_update else "")  # SQLite: no row locks
    )


def lock_objects(queryset: models.QuerySet, keys: Iterable[Key], *, id_field: str) -> dict[Key, Any]:
    """Lock (``SELECT ... FOR UPDATE``) and return the stored rows of ``keys`` in one query, by upper-cased key.
    Rows are locked in pk order so two concurrent writers of overlapping pages cannot deadlock."""
    keys = list(keys)
    by_party: dict[tuple[str, str], set[str]] = defaultdict(set)
    for country_code, party_id, object_id in keys:
        by_party[(country_code, party_id)].add(object_id)
    if not by_party:
        return {}
    query = queryset.query
    if len(keys) == 1 and not (query.where or query.annotations or query.select_related or query.deferred_loading[0]):
        # One object of a plain queryset (every Receiver PUT/PATCH): a statement written once per model.
        key = keys[0]
        row = fetch_instance(queryset.model, _lock_one_sql(queryset.model, id_field), list(key))
        return {} if row is None else {key: row}
    condition = Q()
    for (country_code, party_id), ids in by_party.items():
        condition |= Q(country_code=country_code, party_id=party_id, kit_id_upper__in=sorted(ids))
    rows = queryset.annotate(kit_id_upper=Upper(id_field)).filter(condition).order_by("pk").select_for_update()
    found: dict[Key, Any] = {}
    for row in rows:
        found.setdefault((row.country_code, row.party_id, row.kit_id_upper), row)
    return found


@functools.cache
def _read_one_sql(model: type[models.Model], id_field: str, fields: tuple[str, ...] | None) -> str:
    q = connection.ops.quote_name
    column = q(model._meta.get_field(id_field).column)
    if fields is None:
        selected = columns(model)
    else:
        names = dict.fromkeys((model._meta.pk.name, "country_code", "party_id", id_field, "source_partner", *fields))
        selected = ", ".join(q(model._meta.get_field(name).column) for name in names)
    return (
        f"SELECT {selected}, xmin::text AS row_version FROM {q(model._meta.db_table)} "  # noqa: S608
        f"WHERE country_code = %s AND party_id = %s AND UPPER({column}) = %s"
    )


def read_versioned(
    model: type[models.Model], key: Key, *, id_field: str, fields: tuple[str, ...] | None = None
) -> Any | None:
    """The stored row of ``key``, unlocked, with ``row_version`` (PostgreSQL's ``xmin``: any write changes it), for a
    write in one statement and no transaction that applies only if the row is still that version
    (``roaming.core.sql.update_instance(row_version=...)``); None if there is no such row. PostgreSQL only: callers
    check ``versioned_writes()`` and otherwise lock (``lock_objects``).

    ``fields``: read only these (and the key, ``source_partner``), the others deferred: a PATCH needs a few columns
    of a wide row (the partner's payload, JSON documents) and decoding the rest would cost more than the write."""
    return fetch_instance(model, _read_one_sql(model, id_field, fields), list(key))


def versioned_writes() -> bool:
    """Whether ``read_versioned`` and the version-checked writes are available (PostgreSQL; not SQLite)."""
    return connection.vendor == "postgresql"


def refuse_own(obj, *, what: str = "object") -> None:
    """A partner never writes one of our own objects (reachable only if it registered our country_code/party_id)."""
    if obj is not None and obj.source_partner_id is None:
        raise InvalidInput(f"{what} '{obj.object_id}' belongs to this platform, not to you", field="id")


def is_stale(obj, data: Mapping) -> bool:
    """An update older than what we hold is acknowledged and ignored: a late or repeated delivery must never undo a
    newer state. An equal ``last_updated`` is applied (the owner may correct without a new timestamp)."""
    return obj is not None and data["last_updated"] < obj.last_updated


def storable(raw: Any) -> Any:
    """The partner's payload made storable in jsonb: Decimals become numbers, NUL characters (which PostgreSQL's
    jsonb cannot hold) are dropped. A payload nested too deep to serialise (no OCPI object comes near) is refused
    with ``InvalidInput``, before anything is written."""
    if raw is None:
        return None
    try:
        blob = dumps(raw)
    except TypeError as exc:  # orjson: "Recursion limit reached" past 255 levels
        raise InvalidInput(f"request body: cannot be stored ({exc})") from None
    if b"\\u0000" in blob:
        blob = blob.replace(b"\\u0000", b"")
    return orjson.loads(blob)


@dataclass
class IngestReport:
    """What ``ingest_page`` did with a page, in the pull engine's report shape (``as_dict``)."""

    accepted: int = 0
    ignored: int = 0
    rejected: list[str] | None = None

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "ignored": self.ignored, "rejected": self.rejected or []}


def ingest_page(
    *,
    partner_id: int,
    objects: list,
    role: str,
    validate: Callable[[Any], dict],
    lock: Callable[[Iterable[Key]], dict[Key, Any]],
    write: Callable[[list[tuple[dict, Any, Any]]], None],
    label: str = "",
) -> dict:
    """Validate and store one page a partner's Sender returned (the pull engine's ``ingest`` callback).

    ``validate(obj)`` returns validated data or raises ``InvalidInput`` with the message naming the field; each
    object is validated on its own, so one bad object is reported and skipped, never sinks the page. An object
    under none of the partner's ``role`` parties is rejected; of two copies in one page the newer wins; one older
    than what we hold is ignored; one of our own objects is refused. ``lock(keys)`` locks and returns what we hold;
    ``write([(data, raw, current), ...])`` (``raw`` already ``storable``) writes the rest in the same transaction,
    in as few queries as it can. Returns ``{"accepted": n, "ignored": n, "rejected": [messages]}``.
    """
    parties = partner_parties(partner_id, role)
    report = IngestReport(rejected=[])
    valid: dict[Key, tuple[dict, Any]] = {}
    for index, obj in enumerate(objects):
        name = f"{label}[{index}] {obj.get('id')!r}" if isinstance(obj, dict) else f"{label}[{index}]"
        try:
            data = validate(obj)
            obj = storable(obj)
        except InvalidInput as exc:
            report.rejected.append(f"{name}: {exc.message}")
            continue
        if (data["country_code"], data["party_id"]) not in parties:
            report.rejected.append(
                f"{name}: country_code/party_id {data['country_code']}/{data['party_id']} is not one of the "
                f"partner's roles as {role}"
            )
            continue
        key = object_key(data["country_code"], data["party_id"], data["id"])
        if key in valid:
            report.ignored += 1
            if data["last_updated"] < valid[key][0]["last_updated"]:
                continue
        valid[key] = (data, obj)
    items = []
    with transaction.atomic():
        held = lock(list(valid))
        for key, (data, raw) in valid.items():
            current = held.get(key)
            if current is not None and current.source_partner_id is None:
                report.rejected.append(f"{data['id']!r}: belongs to this platform, not to the partner")
            elif is_stale(current, data):
                report.ignored += 1
            else:
                items.append((data, raw, current))
        if items:
            write(items)
    report.accepted = len(items)
    return report.as_dict()


def _json_text(value):
    """A JSON column's value as the text PostgreSQL parses (orjson; stdlib json for what orjson refuses, e.g. an
    integer past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


@functools.cache
def _column_plan(model) -> list[tuple[str, str, Callable[[Any], Any] | None, Any]]:
    """(attname, column, converter or None, default) of each concrete non-pk field of ``model``, in table order. The
    converters are the part of ``get_db_prep_save`` that COPY needs (JSON as text); ``default`` is what an absent
    value gets: ``NOW`` for ``auto_now``/``auto_now_add``, else the field's default (called per row if callable)."""
    plan = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = _NOW
        elif field.has_default():
            default = field.default
        else:
            default = field.get_default()
        convert = _json_text if isinstance(field, models.JSONField) else None
        plan.append((field.attname, field.column, convert, default))
    return plan


_NOW = object()


def upsert_rows(model, rows: list[dict], *, unique_fields: list[str], update_fields: list[str]) -> list[int]:
    """Insert or update ``rows`` (dicts keyed by the model's field attnames, e.g. ``location_id`` for a foreign
    key; an absent field gets its default, ``auto_now`` fields the current time) in one batch; return their primary
    keys in row order. The batch goes through ``COPY``: the rows are copied into a temporary table and upserted from
    it with one ``INSERT ... SELECT ... ON CONFLICT (unique_fields) DO UPDATE SET update_fields``, under the same
    database rules (constraints, conflict target) as ``bulk_create(update_conflicts=True)``. It exists because a
    pull writes tens of thousands of rows: building model instances and Django's per-field preparation were most
    of a pull's write time (bench/bench_locations.py). Values must already be valid for their columns (they come
    from validated data). Must run inside a transaction."""
    if not rows:
        return []
    meta = model._meta
    plan = _column_plan(model)
    now = timezone.now()
    quote = connection.ops.quote_name
    columns = [column for _, column, _, _ in plan]
    conflict = [meta.get_field(name).column for name in unique_fields]
    conflict_at = [columns.index(column) for column in conflict]
    updates = [meta.get_field(name).column for name in update_fields]
    table = quote(meta.db_table)
    staging = quote(f"kit_upsert_{meta.db_table}")
    column_list = ", ".join(quote(c) for c in columns)
    keys = []
    with connection.cursor() as cursor:
        # Same columns and types as the table, no constraints (the table's apply on the INSERT below).
        # Identifiers only, from the model's metadata: nothing a partner sent is interpolated into SQL.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {column_list} FROM {table} WITH NO DATA; TRUNCATE {staging}"
        )
        with cursor.cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for attname, _, convert, default in plan:
                    value = row.get(attname, default)
                    if value is _NOW:
                        value = now
                    elif value is default and callable(default):
                        value = default()
                    if convert is not None and value is not None:
                        value = convert(value)
                    values.append(value)
                keys.append(tuple(values[i] for i in conflict_at))
                copy.write_row(values)
        assignments = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in updates)
        conflict_list = ", ".join(quote(c) for c in conflict)
        cursor.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({conflict_list}) DO UPDATE SET {assignments} "
            f"RETURNING {quote(meta.pk.column)}, {conflict_list}"
        )
        pks = {tuple(found[1:]): found[0] for found in cursor.fetchall()}
    return [pks[key] for key in keys]
