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

How the rows go into the statement (as VALUES, or on PostgreSQL as one JSON parameter)
is `helpdesk.insert_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from django.db import connections, models

from helpdesk.insert_rows import batch_statement, columns

__all__ = ["insert_new", "insert_new_after", "insert_new_together", "insert_statement", "mark_saved", "parent_id_sql",
           "sends_several"]


#: At most this many rows per statement (and no more than the database takes parameters for).
BATCH_ROWS = 1000


def _checked(objs: Sequence[models.Model]) -> type[models.Model]:
    model = type(objs[0])
    for obj in objs:
        if type(obj) is not model or not obj._state.adding or obj.pk is not None:
            raise ValueError(f"insert_new takes only new {model.__name__} instances")
        obj._prepare_related_fields_for_save(operation_name="insert_new")  # as bulk_create: no unsaved relation
    return model


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
    return batch_statement(model, objs, connections[using], wrap)


def _size(model: type[models.Model], objs: Sequence[models.Model], connection) -> int:
    return max(1, min(BATCH_ROWS, connection.ops.bulk_batch_size(columns(model)[0], objs)))


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
            cursor.execute(*batch_statement(model, batch, connection))
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
        sql, values = batch_statement(_checked(group), group, connection, wraps.get(n))
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
    from_parent = (f"COALESCE(%s, {parent_id_sql(model, using)})", [])
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
                    wraps.setdefault(n, {})[(index, field.attname)] = from_parent
    try:
        rows, written = _send_together(connection, present, wraps, head)
    except BaseException:
        for obj, field in linked:
            setattr(obj, field.name, parent)  # the link back: nothing was written
        raise
    mark_saved([parent], [rows[0][0]], using=using)
    for (_, group), pks in zip(present, written, strict=True):
        mark_saved(group, pks, using=using)
    for obj, field in linked:
        setattr(obj, field.name, parent)  # now with its id
    return rows
