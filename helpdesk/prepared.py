"""SELECTs of model rows, with to-one relations joined in, whose SQL text is built once.

The ORM compiles a queryset's SQL on every evaluation; on the few fixed reads that run for
every request or every delivered change (the API token with its user and organization,
the events of a delivery and their cases) compiling costs more than the query itself.
A `PreparedSelect` names the model, the relations to join (as `select_related` paths) and
a WHERE clause once; `fetch` runs it and returns model instances built as the ORM builds
them: the same converters (`from_db_value`, the backend's), related objects cached on
their instances (a NULL foreign key caches None), so reading them makes no query.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models
from django.db.models.sql import Query

__all__ = ["PreparedSelect"]


def _quoted(name: str) -> str:
    return '"%s"' % name


class _Part:
    """One model in the join: its alias, columns and where its instance goes."""

    def __init__(self, model: type[models.Model], alias: str, parent: _Part | None, field: models.Field | None):
        self.model, self.alias, self.parent, self.field = model, alias, parent, field
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self.parent_index = -1


class PreparedSelect:
    """`SELECT … FROM <model> AS b [LEFT JOIN each related] WHERE <where> ORDER BY <order_by>`.

    `where` and `order_by` are SQL over the alias `b` (the model's own table), with `%s`
    placeholders for `fetch`'s parameters; `fetch_ids` adds "primary key in the list". `related` lists foreign keys to join, like
    `select_related`: "user", "user__organization".
    """

    def __init__(self, model: type[models.Model], *, related: Sequence[str] = (), where: str = "",
                 order_by: str = ""):
        self.model = model
        self.parts = [_Part(model, "b", None, None)]
        by_path: dict[str, _Part] = {}
        for path in related:
            parent = self.parts[0]
            names = path.split("__")
            for depth, name in enumerate(names):
                key = "__".join(names[:depth + 1])
                if key not in by_path:
                    field = parent.model._meta.get_field(name)
                    if not (field.many_to_one or field.one_to_one) or not field.concrete:
                        raise ValueError(f"{path!r}: {name} is not a foreign key of {parent.model.__name__}")
                    by_path[key] = _Part(field.related_model, f"r{len(self.parts)}", parent, field)
                    by_path[key].parent_index = self.parts.index(parent)
                    self.parts.append(by_path[key])
                parent = by_path[key]
        self.where, self.order_by = where, order_by
        self._sql: str | None = None
        self._ids_sql: str | None = None
        self._converters: dict[str, dict] = {}

    def _build(self, where: str) -> str:
        columns = ", ".join(f"{p.alias}.{_quoted(f.column)}" for p in self.parts for f in p.fields)
        joins = "".join(
            f" LEFT JOIN {_quoted(p.model._meta.db_table)} {p.alias}"
            f" ON {p.alias}.{_quoted(p.field.target_field.column)} = {p.parent.alias}.{_quoted(p.field.column)}"
            for p in self.parts[1:]
        )
        return (f"SELECT {columns} FROM {_quoted(self.model._meta.db_table)} b{joins}"
                + (f" WHERE {where}" if where else "") + (f" ORDER BY {self.order_by}" if self.order_by else ""))

    @property
    def sql(self) -> str:
        if self._sql is None:
            self._sql = self._build(self.where)
        return self._sql

    def _converters_for(self, using: str) -> tuple[object, dict]:
        found = self._converters.get(using)
        if found is None:
            compiler = Query(self.model).get_compiler(using=using)
            found = (compiler, compiler.get_converters([f.get_col(p.alias) for p in self.parts for f in p.fields]))
            self._converters[using] = found
        return found

    def fetch(self, params: Sequence = (), *, using: str = "default") -> list[models.Model]:
        """Run the statement with `params` and return the base model's instances, in row order."""
        return self._run(self.sql, list(params), using)

    def fetch_ids(self, ids: Sequence[int], *, using: str = "default") -> list[models.Model]:
        """The rows whose primary key is in `ids` (and `where`, when given: one without parameters)."""
        ids = list(ids)
        if not ids:
            return []
        pk = f"b.{_quoted(self.model._meta.pk.column)}"
        extra = f" AND ({self.where})" if self.where else ""
        if connections[using].vendor == "postgresql":
            if self._ids_sql is None:
                self._ids_sql = self._build(f"{pk} = ANY(%s){extra}")
            return self._run(self._ids_sql, [ids], using)
        # No arrays (SQLite): the list spelled out, not kept.
        return self._run(self._build(f"{pk} IN ({', '.join(['%s'] * len(ids))}){extra}"), ids, using)

    def fetch_rows(self, params: Sequence = (), *, using: str = "default") -> list[Sequence]:
        """Run the statement with `params`; return its rows with the ORM's converters applied.

        `build` turns such rows into instances; a caller may keep rows and build fresh
        instances from them later.
        """
        return self._rows(self.sql, list(params), using)

    def build(self, rows: Sequence[Sequence], *, using: str = "default") -> list[models.Model]:
        """Return the base model's instances for rows from `fetch_rows`, related ones cached on them."""
        out = []
        for row in rows:
            built: list[models.Model | None] = []
            start = 0
            for part in self.parts:
                values = row[start:start + len(part.fields)]
                start += len(part.fields)
                obj = None if values[part.pk_index] is None else part.model.from_db(using, part.attnames, values)
                built.append(obj)
                if part.parent is not None and built[part.parent_index] is not None:
                    part.field.set_cached_value(built[part.parent_index], obj)
            out.append(built[0])
        return out

    def _rows(self, sql: str, params: list, using: str) -> list[Sequence]:
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        compiler, converters = self._converters_for(using)
        if converters:
            rows = list(compiler.apply_converters(rows, converters))
        return rows

    def _run(self, sql: str, params: list, using: str) -> list[models.Model]:
        return self.build(self._rows(sql, params, using), using=using)
