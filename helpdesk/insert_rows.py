"""The rows of an INSERT of new model instances: their columns, and their values as VALUES or as JSON.

`helpdesk.inserts` builds its statements here. `columns` names the columns written (every
concrete column but an automatic primary key) and `batch_statement` gives the INSERT of a
batch of instances with their values, each value as the ORM sends it.

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

__all__ = ["CACHED_ROWS", "batch_statement", "columns", "quoted"]


def quoted(name: str) -> str:
    return '"%s"' % name


@lru_cache(maxsize=64)
def columns(model: type[models.Model]) -> tuple[tuple[models.Field, ...], str, str]:
    """The fields written (every concrete column but an automatic primary key), the head and the row."""
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields
                   if not isinstance(f, models.AutoField) and not f.generated)
    head = f"INSERT INTO {quoted(meta.db_table)} ({', '.join(quoted(f.column) for f in fields)}) VALUES "
    return fields, head, "(" + ", ".join(["%s"] * len(fields)) + ")"


@lru_cache(maxsize=64)
def _cached_statement(model: type[models.Model], rows: int) -> str:
    return _statement(model, rows)


def _statement(model: type[models.Model], rows: int) -> str:
    fields, head, row = columns(model)
    return f"{head}{', '.join([row] * rows)} RETURNING {quoted(model._meta.pk.column)}"


#: Row counts up to this keep their statement text; larger batches build it each time.
CACHED_ROWS = 16


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
    for index, field in enumerate(columns(model)[0]):
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
    head = columns(model)[1].removesuffix(" VALUES ")
    templates = dict(wrapped)
    expressions = []
    for _, attname, _, _, expression in plan:
        cases = templates.get(attname)
        if cases:
            whens = " ".join(f"WHEN {row + 1} THEN {template.replace('%s', expression, 1)}" for row, template in cases)
            expression = f"CASE x.n {whens} ELSE {expression} END"
        expressions.append(expression)
    return (f"{head} SELECT {', '.join(expressions)} FROM jsonb_array_elements(%s::jsonb) "
            f"WITH ORDINALITY AS x(r, n) RETURNING {quoted(model._meta.pk.column)}")


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


def batch_statement(model: type[models.Model], batch: Sequence[models.Model], connection,
                    wrap: Mapping[tuple[int, str], tuple[str, list]] | None = None) -> tuple[str, list]:
    """The `INSERT … RETURNING <pk>` of `batch` (new instances of `model`) as SQL and parameters.

    `wrap` maps (row index, field attname) to an SQL template and its extra parameters, the
    template's first `%s` standing for the field's own value (see `helpdesk.inserts`).
    """
    as_json = _json_batch_statement(model, batch, connection, wrap)
    if as_json is not None:
        return as_json
    fields = columns(model)[0]
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
    head = columns(model)[1]
    return f"{head}{', '.join(rows)} RETURNING {quoted(model._meta.pk.column)}", params

