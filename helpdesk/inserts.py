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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from django.db import connections, models

__all__ = ["insert_new", "insert_new_together", "insert_statement", "mark_saved", "sends_several"]


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


def _batch_statement(model: type[models.Model], batch: Sequence[models.Model], connection,
                     wrap: Mapping[tuple[int, str], tuple[str, list]] | None = None) -> tuple[str, list]:
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
    statements, params = [], []
    for n, group in present:
        sql, values = _batch_statement(_checked(group), group, connection, wrap.get(n))
        statements.append(sql)
        params += values
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        for index, (_, group) in enumerate(present):
            if index:
                cursor.nextset()
            mark_saved(group, [pk for (pk,) in cursor.fetchall()], using=using)
