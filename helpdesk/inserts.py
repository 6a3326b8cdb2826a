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
read back result by result. `insert_new_after` writes a new parent row and the rows that
point at it as one statement of data-modifying WITH queries, prepared on the connection
(`execute_prepared`). `insert_statement` gives the INSERT of one list as SQL and
parameters, for a caller that composes it into a larger statement, and `mark_saved` gives
the instances the ids that statement returned.

How the rows go into the statement (as VALUES, or on PostgreSQL as one JSON parameter)
is `helpdesk.insert_rows`.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.db import ProgrammingError, connections, models
from psycopg.errors import InvalidSqlStatementName

from helpdesk.insert_rows import batch_statement, columns, quoted

__all__ = ["PARENT_ROWS", "WithParts", "execute_prepared", "insert_new", "insert_new_after", "insert_new_together",
           "insert_statement", "mark_saved", "one_statement", "parent_id_sql", "sends_several", "written_rows"]


log = logging.getLogger(__name__)

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
    written = _send_together(connection, present, wrap)
    for (_, group), pks in zip(present, written, strict=True):
        mark_saved(group, pks, using=using)


def _send_together(connection, present: list[tuple[int, Sequence[models.Model]]],
                   wraps: Mapping[int, Mapping[tuple[int, str], tuple[str, list]]]) -> list[list]:
    """Send the INSERTs of `present` as one text; return each list's ids."""
    statements, params = [], []
    for n, group in present:
        sql, values = batch_statement(_checked(group), group, connection, wraps.get(n))
        statements.append(sql)
        params += values
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        written = []
        for index, _ in enumerate(present):
            if index:
                cursor.nextset()
            written.append([pk for (pk,) in cursor.fetchall()])
    return written


# --- a new parent row and the rows that point at it, in one statement (PostgreSQL) -------

#: The name, in `insert_new_after`'s statement, of the parent's INSERT (a `WITH` query).
PARENT_ROWS = "new_parent"


def written_rows(index: int) -> str:
    """The name, in `insert_new_after`'s statement, of the rows group `index` writes (`RETURNING *`)."""
    return f"new_{index}"


class WithParts(NamedTuple):
    """A data-modifying `WITH` in the parts `insert_new_after` builds its statement from.

    `queries` holds the `WITH` queries ("name AS (…), …"), among them the parent's INSERT
    named `PARENT_ROWS`; `select` is the statement's own SELECT over them, whose first
    column is the parent's new id; `params` are the parameters of both, in that order.
    """

    queries: str
    select: str
    params: list

    def statement(self) -> tuple[str, list]:
        """The parts as one statement of their own (SQL, parameters)."""
        return f"WITH {self.queries} {self.select}", self.params

    @classmethod
    def insert(cls, objs: Sequence[models.Model], *, using: str = "default") -> WithParts:
        """The INSERT of one new parent (`insert_statement`), returning its id."""
        sql, params = insert_statement(objs, using=using)
        pk = quoted(type(objs[0])._meta.pk.column)
        return cls(f"{PARENT_ROWS} AS ({sql})", f"SELECT {pk} FROM {PARENT_ROWS}", params)


def one_statement(using: str = "default") -> bool:
    """Whether `insert_new_after` can write here: PostgreSQL (psycopg 3, as the project requires)."""
    return connections[using].vendor == "postgresql"


def parent_id_sql(model: type[models.Model], using: str = "default") -> str:
    """SQL giving the new parent's id inside `insert_new_after`'s statement (a sub-select of its INSERT)."""
    return f"(SELECT {connections[using].ops.quote_name(model._meta.pk.column)} FROM {PARENT_ROWS})"


@lru_cache(maxsize=64)
def _links_to(child: type[models.Model], parent: type[models.Model]) -> tuple[models.ForeignKey, ...]:
    return tuple(f for f in child._meta.concrete_fields if f.many_to_one and f.related_model is parent)


def insert_new_after(parent: models.Model, head: WithParts, *groups: Sequence[models.Model],
                     using: str = "default",
                     wrap: Mapping[int, Mapping[tuple[int, str], tuple[str, list]]] | None = None) -> list[tuple]:
    """Write a new `parent` row by `head`, then the new rows of `groups`, as one statement; return head's rows.

    PostgreSQL only. `head` writes `parent`, one row, in its `WITH` query `PARENT_ROWS`,
    and its SELECT gives rows whose first column is that id (it may do more, such as
    linking tags). Each list of `groups` becomes one more `WITH` query, `written_rows(n)`.
    Rows whose foreign key holds `parent` itself, unsaved, take its id in the database
    (`parent_id_sql`), so nothing waits for the id to come back; `wrap` (as for
    `insert_statement`, by group index) may read `parent_id_sql` and an earlier group's
    `written_rows` too. (The parts of one statement see the table as it was before it:
    a row written in it is found through its query's name, not in its table.)
    Afterwards `parent` has its id and is saved, every row has its id, and the rows that
    held `parent` point at it.

    The statement is one round trip with its parameters bound by the server, prepared on
    the connection (see `execute_prepared`), so the database parses and plans it once
    per connection and shape. Outside a transaction PostgreSQL runs it as one implicit
    transaction: all of it is written, or, when any part fails, none of it (deferred
    constraints included).
    """
    connection = connections[using]
    if not one_statement(using):
        raise ValueError("insert_new_after needs PostgreSQL")
    if parent.pk is not None or not parent._state.adding:
        raise ValueError("insert_new_after takes a new, unsaved parent")
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
                    # Unlinked while the statement is built (the ORM refuses an unsaved
                    # related object); the database fills the column in, and the link comes back after.
                    field.delete_cached_value(obj)
                    setattr(obj, field.attname, None)
                    linked.append((obj, field))
                    wraps.setdefault(n, {})[(index, field.attname)] = from_parent
    try:
        queries, params, ids = [head.queries], list(head.params), []
        for n, group in present:
            sql, values = batch_statement(_checked(group), group, connection, wraps.get(n))
            # Every column back, so that a later group's `wrap` may read this group's rows.
            returning = f" RETURNING {quoted(type(group[0])._meta.pk.column)}"
            if not sql.endswith(returning):
                raise ValueError(f"unexpected INSERT for {type(group[0]).__name__}")
            queries.append(f"{written_rows(n)} AS ({sql.removesuffix(returning)} RETURNING *)")
            params += values
            # The ids in the order the rows were given: the rows draw them from the
            # sequence in that order, one after another.
            pk = quoted(type(group[0])._meta.pk.column)
            ids.append(f"(SELECT array_agg({pk} ORDER BY {pk}) FROM {written_rows(n)})")
        sql = (f"WITH {', '.join(queries)} SELECT h.*{''.join(f', {i}' for i in ids)} FROM ({head.select}) AS h")
        rows = execute_prepared(connection, sql, params)
    except BaseException:
        for obj, field in linked:
            setattr(obj, field.name, parent)  # the link back: nothing was written
        raise
    if not rows:
        raise ValueError("insert_new_after: the head's SELECT returned no row")
    width = len(rows[0]) - len(present)
    mark_saved([parent], [rows[0][0]], using=using)
    for (_, group), pks in zip(present, rows[0][width:], strict=True):
        mark_saved(group, pks, using=using)
    for obj, field in linked:
        setattr(obj, field.name, parent)  # now with its id
    return [row[:width] for row in rows]


def execute_prepared(connection, sql: str, params: Sequence) -> list[tuple]:
    """Run one statement with its parameters bound by the server and return its rows (PostgreSQL, psycopg 3).

    With `DATABASE_PREPARED_STATEMENTS` on (the default) the statement is prepared on
    the connection the first time it runs and executed by name after that: the database
    parses and plans it once per connection, not on every call. Django leaves psycopg's
    automatic preparation off (a connection pooler in transaction mode may run the next
    statement on another server connection); only the statements sent here are
    prepared. Off, the statement is sent whole every time, still with bound parameters.
    The statement goes through Django's cursor wrapping: query logging, execute
    wrappers and error translation see it as any other.

    Should the server not know a statement this connection prepared (a pooler in front
    of PostgreSQL that does not keep them), the connection stops preparing, a warning
    says which setting to change, and outside a transaction the statement is sent again
    whole (the failed one ran nothing); inside one the error stands, as the transaction
    is aborted.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw_connection = connection.connection
    prepare = settings.DATABASE_PREPARED_STATEMENTS and raw_connection not in _unprepared
    try:
        return _execute(connection, ServerBindingCursor(raw_connection), sql, params, prepare)
    except ProgrammingError as error:
        if not prepare or not isinstance(error.__cause__, InvalidSqlStatementName):
            raise
        _unprepared.add(raw_connection)
        log.warning("PostgreSQL does not know a statement prepared on this connection (a connection pooler in "
                    "transaction mode?): this connection no longer prepares statements. Set "
                    "DATABASE_PREPARED_STATEMENTS=false behind such a pooler.")
        if connection.in_atomic_block:
            raise
    return _execute(connection, ServerBindingCursor(raw_connection), sql, params, False)


# psycopg connections on which a prepared statement went missing: they prepare no more.
_unprepared: weakref.WeakSet = weakref.WeakSet()


def _execute(connection, cursor, sql: str, params: Sequence, prepare: bool) -> list[tuple]:
    raw_connection = cursor.connection
    wrapped = connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    threshold = raw_connection.prepare_threshold
    with wrapped:
        try:
            # psycopg prepares a statement once it has run `prepare_threshold` times (0:
            # at once); Django's default of None means never.
            raw_connection.prepare_threshold = 0 if prepare else None
            wrapped.execute(sql, params)
        finally:
            raw_connection.prepare_threshold = threshold
        if connection.queries_logged and connection.queries_log and connection.queries_log[-1]["sql"] is None:
            # psycopg keeps no text for a statement executed by name: the log shows it with its values.
            connection.queries_log[-1]["sql"] = connection.ops.compose_sql(sql, params)
        return wrapped.fetchall()
