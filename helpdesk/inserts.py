"""INSERT of new model rows with the statement built once per table and row count.

`QuerySet.bulk_create` compiles its INSERT on every call: for the few fixed shapes the
hot paths write (a new case, its clocks, its events) that compiling costs more than the
round trip to the database. `insert_new` writes the same rows in one `INSERT … RETURNING`
whose text is kept per model and number of rows, and gives each instance its primary key,
as `bulk_create` does. Values go through each field's `pre_save` and `get_db_prep_save`,
exactly as the ORM sends them. Model `save()` methods and `pre_save`/`post_save` signals
are not called (as with `bulk_create`); use it only for models that have none that matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from django.db import connections, models

__all__ = ["insert_new"]


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
    fields = _columns(model)[0]
    for obj in objs:
        if type(obj) is not model or not obj._state.adding or obj.pk is not None:
            raise ValueError(f"insert_new takes only new {model.__name__} instances")
        obj._prepare_related_fields_for_save(operation_name="insert_new")  # as bulk_create: no unsaved relation
    size = max(1, min(BATCH_ROWS, connection.ops.bulk_batch_size(fields, objs)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start:start + size]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in batch for f in fields]
            sql = _cached_statement(model, len(batch)) if len(batch) <= CACHED_ROWS else _statement(model, len(batch))
            cursor.execute(sql, params)
            for obj, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = using
    return objs
