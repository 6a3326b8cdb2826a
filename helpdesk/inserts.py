"""INSERT of new model rows with the statement built once per table and row count.

`QuerySet.bulk_create` compiles its INSERT on every call: for the few fixed shapes the
hot paths write (a new case, its clocks, its events) that compiling costs more than the
round trip to the database. `insert_new` writes the same rows in one `INSERT … RETURNING`
whose text is kept per model and number of rows, and gives each instance its primary key,
as `bulk_create` does. Values go through each field's `pre_save` and `get_db_prep_save`,
exactly as the ORM sends them. Model `save()` methods and `pre_save`/`post_save` signals
are not called (as with `bulk_create`); use it only for models that have none that matter.

`insert_new_together` writes several such lists (a new case's clocks and its events, say)
in one round trip on PostgreSQL: the INSERTs travel as one text, each with its RETURNING,
read back result by result. `insert_statement` gives the INSERT of one list as SQL and
parameters, for a caller that composes it into a larger statement (a data-modifying WITH),
and `mark_saved` gives the instances the ids that statement returned.

On PostgreSQL the rows travel as one JSON parameter, `INSERT … SELECT … FROM
jsonb_array_elements(%s)`, each column cast from its text to the column's type: the
statement's text is the same for any number of rows, and the driver quotes one string
instead of every value (binding each value client side, and parsing a text of more
parameters than the driver keeps parsed, cost more than the database's round trip).
Values go in as the driver would have sent them: timestamps in ISO form with their
offset, JSON as the field's encoder writes it, text checked against the column's length
by the INSERT itself. A column type or a value this form does not carry (an array, a
non-finite float, bytes) sends the rows as `VALUES` instead.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial

from django.conf import settings
from django.db import connections, models

__all__ = ["insert_new", "insert_new_after", "insert_new_together", "insert_statement", "mark_saved", "parent_id_sql",
           "sends_several"]


def _quoted(name: str) -> str:
    return '"%s"' % name


@lru_cache(maxsize=64)
def _columns(model: type[models.Model]) -> tuple[tuple[models.Field, ...], str, str]:
    """The fields written (every concrete column but an automatic primary key), the head and the row."""
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields
                   if not isinstance(f, models.AutoField) and not f.generated)
    head = f"INSERT INTO {_quoted(meta.db_table)} ({', '.join(_quoted(f.column) for f in fields)}) VALUES "
    return fields, head, "(" + ", ".join(["%s"] * len(fields)) + ")"


@lru_cache(maxsize=64)
def _cached_statement(model: type[models.Model], rows: int) -> str:
    return _statement(model, rows)


def _statement(model: type[models.Model], rows: int) -> str:
    fields, head, row = _columns(model)
    return f"{head}{', '.join([row] * rows)} RETURNING {_quoted(model._meta.pk.column)}"


#: Row counts up to this keep their statement text; larger batches build it each time.
CACHED_ROWS = 16
#: At most this many rows per statement (and no more than the database takes parameters for).
BATCH_ROWS = 1000


def _checked(objs: Sequence[models.Model]) -> type[models.Model]:
    model = type(objs[0])
    for obj in objs:
        if type(obj) is not model or not obj._state.adding or obj.pk is not None:
            raise ValueError(f"insert_new takes only new {model.__name__} instances")
        obj._prepare_related_fields_for_save(operation_name="insert_new")  # as bulk_create: no unsaved relation
    return model


# --- rows as one JSON parameter (PostgreSQL) --------------------------------------------

#: Column types cast from the JSON text as they are; `varchar(n)` and `text` take the text
#: uncast, so that the INSERT checks the length as it does for a bound value.
_CASTS = frozenset({"smallint", "integer", "bigint", "boolean", "jsonb", "timestamp with time zone", "date",
                    "uuid", "double precision", "real"})
#: Field classes whose value reaches the driver unchanged when it already has this type
#: (their `pre_save` is the attribute, their `get_db_prep_save` the identity for it).
_PLAIN = (
    (models.ForeignKey, (int,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),  # and its small, big and positive kinds
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.FloatField, (float,)),
    (models.DateTimeField, (datetime.datetime,)),  # when aware (else the field warns and makes it so)
    (models.JSONField, (dict, list)),  # written by the field's encoder
)
_CONVERSIONS = ("pre_save", "get_prep_value", "get_db_prep_value", "get_db_prep_save", "to_python")


def _plain_types(field: models.Field) -> tuple[type, ...]:
    """The value types `field` sends as they are (empty: every value goes through the field)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return ()
    for base, types in _PLAIN:
        if type(field) is base or (isinstance(field, base) and all(
                getattr(type(field), name) is getattr(base, name) for name in _CONVERSIONS)):
            if isinstance(field, models.ForeignKey) and not isinstance(field.target_field, models.AutoField):
                return ()
            return types
    return ()


def _column_expression(field: models.Field, index: int, connection) -> str | None:
    db_type = (field.db_type(connection) or "").lower()
    value = f"x.r->>{index}"
    if db_type == "text" or db_type == "varchar" or db_type.startswith("varchar("):
        return value
    if db_type in _CASTS or db_type.startswith("numeric"):
        return f"({value})::{db_type}"
    return None


@lru_cache(maxsize=64)
def _json_plan(model: type[models.Model], alias: str) -> tuple | None:
    """Per column: (field, attname, plain types, JSON dumps or None, SQL expression); None: not this form."""
    connection = connections[alias]
    plan = []
    for index, field in enumerate(_columns(model)[0]):
        expression = _column_expression(field, index, connection)
        if expression is None:
            return None
        dumps = None
        if isinstance(field, models.JSONField):
            encoder = field.encoder
            dumps = json.dumps if encoder is None else partial(json.dumps, cls=encoder)
        plan.append((field, field.attname, _plain_types(field), dumps, expression))
    return tuple(plan)


class _NotJSON(Exception):
    """A value the JSON form does not carry: the rows go as VALUES."""


def _json_value(value):
    """`value`, as the driver got it from the field, in the form its column casts from (JSON text)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is datetime.datetime:
        return value.isoformat()
    if isinstance(value, str):
        return str.__str__(value)  # an enumeration's member: its value, as the driver sends it
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotJSON
        return float.__float__(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise _NotJSON


def _json_rows(plan: tuple, batch: Sequence[models.Model], connection) -> str:
    """The rows as a JSON array of arrays, each value as the field would have sent it."""
    naive_ok = not settings.USE_TZ
    rows = []
    for obj in batch:
        row = []
        for field, attname, plain, dumps, _ in plan:
            if plain:
                value = getattr(obj, attname)
                if value is None:
                    row.append(None)  # a plain field sends None as SQL NULL
                    continue
                kind = type(value)
                if kind in plain:
                    if dumps is not None:
                        row.append(dumps(value))
                        continue
                    if kind is not datetime.datetime or value.tzinfo is not None or naive_ok:
                        row.append(_json_value(value))
                        continue
            value = field.get_db_prep_save(field.pre_save(obj, True), connection)
            if dumps is not None and value is not None:
                if not hasattr(value, "obj"):  # an expression, say
                    raise _NotJSON
                row.append((value.dumps or dumps)(value.obj))
            else:
                row.append(_json_value(value))
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, allow_nan=False)


@lru_cache(maxsize=128)
def _json_statement(model: type[models.Model], alias: str,
                    wrapped: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = ()) -> str:
    """`INSERT … SELECT … FROM jsonb_array_elements(%s::jsonb)`; `wrapped`: per attname, (row, template) pairs."""
    plan = _json_plan(model, alias)
    head = _columns(model)[1].removesuffix(" VALUES ")
    templates = dict(wrapped)
    expressions = []
    for _, attname, _, _, expression in plan:
        cases = templates.get(attname)
        if cases:
            whens = " ".join(f"WHEN {row + 1} THEN {template.replace('%s', expression, 1)}" for row, template in cases)
            expression = f"CASE x.n {whens} ELSE {expression} END"
        expressions.append(expression)
    return (f"{head} SELECT {', '.join(expressions)} FROM jsonb_array_elements(%s::jsonb) "
            f"WITH ORDINALITY AS x(r, n) RETURNING {_quoted(model._meta.pk.column)}")


def _json_batch_statement(model: type[models.Model], batch: Sequence[models.Model], connection,
                          wrap: Mapping[tuple[int, str], tuple[str, list]] | None) -> tuple[str, list] | None:
    """The rows as one JSON parameter (PostgreSQL), or None where this form does not apply."""
    if connection.vendor != "postgresql":
        return None
    plan = _json_plan(model, connection.alias)
    if plan is None:
        return None
    attnames = [attname for _, attname, _, _, _ in plan]
    if wrap and any(not (0 <= row < len(batch)) or attname not in attnames for row, attname in wrap):
        raise ValueError(f"no such row or column to wrap: {sorted(wrap)}")
    try:
        document = _json_rows(plan, batch, connection)
    except _NotJSON:
        return None
    wrapped, params = [], []
    for attname in attnames if wrap else ():
        rows = sorted(row for row, name in wrap if name == attname)
        if rows:
            wrapped.append((attname, tuple((row, wrap[row, attname][0]) for row in rows)))
            for row in rows:
                params.extend(wrap[row, attname][1])
    # The CASE branches of wrapped columns come before the FROM, and so do their parameters.
    return _json_statement(model, connection.alias, tuple(wrapped)), [*params, document]


def _batch_statement(model: type[models.Model], batch: Sequence[models.Model], connection,
                     wrap: Mapping[tuple[int, str], tuple[str, list]] | None = None) -> tuple[str, list]:
    as_json = _json_batch_statement(model, batch, connection, wrap)
    if as_json is not None:
        return as_json
    fields = _columns(model)[0]
    if not wrap:
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in batch for f in fields]
        sql = _cached_statement(model, len(batch)) if len(batch) <= CACHED_ROWS else _statement(model, len(batch))
        return sql, params
    # Some values computed by the database (`insert_statement`'s `wrap`): the rows spelled out.
    params, rows = [], []
    for index, obj in enumerate(batch):
        marks = []
        for f in fields:
            params.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
            template, extra = wrap.get((index, f.attname), ("%s", ()))
            marks.append(template)
            params.extend(extra)
        rows.append("(" + ", ".join(marks) + ")")
    unknown = {key for key in wrap if not (0 <= key[0] < len(batch)) or key[1] not in {f.attname for f in fields}}
    if unknown:
        raise ValueError(f"no such row or column to wrap: {sorted(unknown)}")
    head = _columns(model)[1]
    return f"{head}{', '.join(rows)} RETURNING {_quoted(model._meta.pk.column)}", params


def mark_saved(objs: Sequence[models.Model], pks: Sequence, *, using: str = "default") -> None:
    """Give the instances just written their primary keys, in order, and mark them saved."""
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using


def insert_statement(objs: Sequence[models.Model], *, using: str = "default",
                     wrap: Mapping[tuple[int, str], tuple[str, list]] | None = None) -> tuple[str, list]:
    """The `INSERT … RETURNING <pk>` of the new instances `objs` (one model, at most `BATCH_ROWS`), unsent.

    For PostgreSQL, where the caller composes it into one statement; the caller hands the
    returned ids to `mark_saved`. `wrap` maps (row index, field attname) to an SQL template
    and its extra parameters: the template's first `%s` is the field's own value, so the
    database may compute the value from it (`jsonb_set(%s::jsonb, …)`).
    """
    if not objs or len(objs) > BATCH_ROWS:
        raise ValueError(f"insert_statement takes 1 to {BATCH_ROWS} instances")
    model = _checked(objs)
    return _batch_statement(model, objs, connections[using], wrap)


def _size(model: type[models.Model], objs: Sequence[models.Model], connection) -> int:
    return max(1, min(BATCH_ROWS, connection.ops.bulk_batch_size(_columns(model)[0], objs)))


def insert_new(objs: Sequence[models.Model], *, using: str = "default") -> Sequence[models.Model]:
    """INSERT the unsaved instances `objs` (all of one model, automatic primary key) and set their ids.

    One statement per up to `BATCH_ROWS` rows. Falls back to `bulk_create` where the
    database cannot return the ids of a multi-row INSERT. Call it inside the caller's
    transaction; nothing is sent for an empty list.
    """
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    if not connection.features.can_return_rows_from_bulk_insert:
        return model._default_manager.using(using).bulk_create(objs)
    _checked(objs)
    size = _size(model, objs, connection)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start:start + size]
            cursor.execute(*_batch_statement(model, batch, connection))
            mark_saved(batch, [pk for (pk,) in cursor.fetchall()], using=using)
    return objs


def sends_several(using: str = "default") -> bool:
    """Whether one execute may carry several statements: psycopg 3 binding parameters client-side."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3
    return is_psycopg3


def insert_new_together(*groups: Sequence[models.Model], using: str = "default",
                        wrap: Mapping[int, Mapping[tuple[int, str], tuple[str, list]]] | None = None) -> None:
    """`insert_new` each list of `groups` in turn, in one round trip where the database allows.

    On PostgreSQL (`sends_several`) the INSERTs go as one text, in the order given; a
    failing INSERT fails the whole execute, and the caller's transaction with it. A later
    INSERT sees the rows of the earlier ones, so `wrap` (by group index, as for
    `insert_statement`) may look them up: `(SELECT id FROM … WHERE …)`. Elsewhere, or for a
    list longer than one statement takes, one `insert_new` per list, and `wrap` must be empty.
    """
    wrap = {n: w for n, w in (wrap or {}).items() if w}
    present = [(n, group) for n, group in enumerate(groups) if group]  # wrap keeps the given indexes
    if not present:
        return
    connection = connections[using]
    if not sends_several(using) or any(len(g) > _size(type(g[0]), g, connection) for _, g in present):
        if wrap:
            raise ValueError("values computed by the database need the statements sent together")
        for _, group in present:
            insert_new(group, using=using)
        return
    _, written = _send_together(connection, present, wrap)
    for (_, group), pks in zip(present, written, strict=True):
        mark_saved(group, pks, using=using)


def _send_together(connection, present: list[tuple[int, Sequence[models.Model]]],
                   wraps: Mapping[int, Mapping[tuple[int, str], tuple[str, list]]],
                   head: tuple[str, list] | None = None) -> tuple[list[tuple] | None, list[list]]:
    """Send `head` (SQL, parameters) and the INSERTs of `present` as one text; return head's rows and each list's ids."""
    statements, params = ([head[0]], list(head[1])) if head else ([], [])
    for n, group in present:
        sql, values = _batch_statement(_checked(group), group, connection, wraps.get(n))
        statements.append(sql)
        params += values
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        rows = cursor.fetchall() if head else None
        written = []
        for index, _ in enumerate(present):
            if index or head:
                cursor.nextset()
            written.append([pk for (pk,) in cursor.fetchall()])
    return rows, written


# --- a new parent row and the rows that point at it, in one text (PostgreSQL) ------------


def parent_id_sql(model: type[models.Model], using: str = "default") -> str:
    """SQL giving the id the last INSERT of a `model` row in this session drew (for `insert_new_after`).

    `currval` of the table's id sequence: it belongs to the session, so other sessions'
    inserts never change it, and a text sent after the parent's INSERT reads its id.
    """
    quote = connections[using].ops.quote_name
    # A sub-select, so that it is read once per statement and an index can serve a
    # comparison with it (`currval` is volatile: compared directly, it scans the table).
    return (f"(SELECT currval(pg_get_serial_sequence('{quote(model._meta.db_table)}', "
            f"'{model._meta.pk.column}')))")


@lru_cache(maxsize=64)
def _links_to(child: type[models.Model], parent: type[models.Model]) -> tuple[models.ForeignKey, ...]:
    return tuple(f for f in child._meta.concrete_fields if f.many_to_one and f.related_model is parent)


def insert_new_after(parent: models.Model, head: tuple[str, list], *groups: Sequence[models.Model],
                     using: str = "default",
                     wrap: Mapping[int, Mapping[tuple[int, str], tuple[str, list]]] | None = None) -> list[tuple]:
    """Write a new `parent` row by `head`, then the new rows of `groups`, as one text; return head's rows.

    PostgreSQL with `sends_several` only. `head` is the statement (SQL, parameters) that
    inserts `parent`, one row, and returns rows whose first column is its new id (a
    data-modifying WITH may do more in it, such as linking tags). Rows of `groups` whose
    foreign key holds `parent` itself, unsaved, take its id in the database
    (`parent_id_sql`), so nothing waits for the id to come back; `wrap` (as for
    `insert_new_together`) may use `parent_id_sql` too. Afterwards `parent` has its id and
    is saved, every row has its id, and the rows that held `parent` point at it.

    Outside a transaction PostgreSQL runs the text as one implicit transaction: all of it
    is written, or, when any part fails, none of it (deferred constraints included).
    """
    if not sends_several(using):
        raise ValueError("insert_new_after needs PostgreSQL with several statements in one text")
    if parent.pk is not None or not parent._state.adding:
        raise ValueError("insert_new_after takes a new, unsaved parent")
    connection = connections[using]
    model = type(parent)
    wraps = {n: dict(w) for n, w in (wrap or {}).items()}
    present = [(n, group) for n, group in enumerate(groups) if group]
    if any(len(group) > BATCH_ROWS for _, group in present):
        raise ValueError(f"insert_new_after takes at most {BATCH_ROWS} rows per list")
    linked: list[tuple[models.Model, models.ForeignKey]] = []
    for n, group in present:
        for index, obj in enumerate(group):
            for field in _links_to(type(obj), model):
                if field.is_cached(obj) and field.get_cached_value(obj) is parent:
                    # Unlinked while the text is built (the ORM refuses an unsaved related
                    # object); the database fills the column in, and the link comes back after.
                    field.delete_cached_value(obj)
                    setattr(obj, field.attname, None)
                    linked.append((obj, field))
                    wraps.setdefault(n, {})[(index, field.attname)] = (f"COALESCE(%s, {parent_id_sql(model, using)})", [])
    try:
        rows, written = _send_together(connection, present, wraps, head)
    finally:
        for obj, field in linked:
            setattr(obj, field.name, parent)  # the link back, also when the text failed
    mark_saved([parent], [rows[0][0]], using=using)
    for (_, group), pks in zip(present, written, strict=True):
        mark_saved(group, pks, using=using)
    for obj, field in linked:
        setattr(obj, field.name, parent)  # now with its id
    return rows
