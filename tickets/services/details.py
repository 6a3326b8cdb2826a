"""Editing a case's details: subject, description, classification, tags and custom fields."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, transaction

from helpdesk.errors import Conflict, InvalidInput
from helpdesk.eventlog import Actor
from helpdesk.inserts import PARENT_ROWS, WithParts, insert_new, mark_saved
from tickets.models import (
    Case,
    EventKind,
    Priority,
    State,
    Tag,
    User,
    is_case_staff,
)
from tickets.reference import tags_remember
from tickets.services import integrations
from tickets.services.events import case_event_record
from tickets.services.spine import (
    Forbidden,
    _check_expected,
    _finish,
    _lock,
    _text,
    _touch,
)

EDITABLE_FIELDS = ("subject", "description", "priority", "category", "product", "organization", "tags", "custom_fields")
MAX_CUSTOM_FIELDS = 50
# Custom fields that hold an object rather than a plain value.
STRUCTURED_CUSTOM_FIELDS = frozenset({"form"})
MAX_TAGS = 20


def case_update(
    *,
    case: Case | int,
    actor: Actor | User,
    changes: dict[str, Any],
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Change classification and details; one `field_change` event per changed field.

    A new category or product re-runs routing; any change lets the SLA engine re-match.
    Unknown fields are refused.
    """
    actor = Actor.of(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["This field cannot be edited."] for f in sorted(unknown)})
    cleaned = dict(changes)
    if "subject" in cleaned:
        cleaned["subject"] = _text(cleaned["subject"], "subject", max_chars=200, required=True)
    if "description" in cleaned:
        cleaned["description"] = _text(cleaned["description"], "description", max_chars=100_000, required=False)
    if "priority" in cleaned and cleaned["priority"] not in Priority.values:
        raise InvalidInput("Unknown priority.", fields={"priority": [f"Choose one of {', '.join(Priority.values)}."]})
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = _custom_fields(cleaned["custom_fields"])
    if "tags" in cleaned:
        cleaned["tags"] = _tag_names(cleaned["tags"])
    with transaction.atomic():
        case = _lock(case)
        _check_expected(case, None, expected_version, actor)
        if actor.is_user and not is_case_staff(actor.user, case):
            raise Forbidden("Only the staff working this case can edit it.")
        if case.state in (State.CLOSED, State.CANCELLED, State.MERGED):
            raise Conflict(f"A {case.get_state_display().lower()} case cannot be edited.", state=case.state)
        events = []
        for field, new in cleaned.items():
            if field == "tags":
                old = sorted(case.tags.values_list("name", flat=True))
                if old == sorted(new):
                    continue
                case.tags.set(_tags(new))
                before, after = {"tags": old}, {"tags": sorted(new)}
            else:
                old = getattr(case, field)
                if old == new:
                    continue
                setattr(case, field, new)
                before, after = {field: _plain(old)}, {field: _plain(new)}
            events.append(
                case_event_record(
                    case=case, kind=EventKind.FIELD_CHANGE, actor=actor, reason=reason,
                    before=before, after=after, data={"field": field},
                )
            )
        if not events:
            return case
        _touch(case)
        case.save()
        if {"category", "product"} & {e.data["field"] for e in events}:
            events += integrations.routing_case_reclassified(case=case, actor=actor)
        return _finish(case, events)


def _plain(value):
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return value


def _custom_fields(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("Custom fields must be an object.", fields={"custom_fields": ["Expected an object."]})
    if len(value) > MAX_CUSTOM_FIELDS:
        raise InvalidInput("Too many custom fields.", fields={"custom_fields": [f"At most {MAX_CUSTOM_FIELDS}."]})
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InvalidInput("Bad custom field name.", fields={"custom_fields": [f"Bad name: {key!r}."]})
        if key in STRUCTURED_CUSTOM_FIELDS and isinstance(item, dict):
            # A request form's answers keep their shape (workflows.services.forms), bounded in size.
            if len(json.dumps(item, default=str)) > 20_000:
                raise InvalidInput("Bad custom field value.", fields={"custom_fields": [f"Bad value for {key}."]})
        elif not isinstance(item, (str, int, float, bool, type(None), list)) or len(str(item)) > 2000:
            raise InvalidInput("Bad custom field value.", fields={"custom_fields": [f"Bad value for {key}."]})
    return value


def _tag_names(tags) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, (list, tuple)):
        raise InvalidInput("Tags must be a list.", fields={"tags": ["Expected a list of names."]})
    names = sorted({str(t).strip().lower() for t in tags if str(t).strip()})
    if len(names) > MAX_TAGS or any(len(n) > 50 for n in names):
        raise InvalidInput("Too many or too long tags.", fields={"tags": [f"At most {MAX_TAGS} tags of 50 characters."]})
    return names


def case_insert(case: Case, names: list[str]) -> None:
    """Write a new case and link its tags, and remember them (`tickets.reference.tags_remember`).

    On PostgreSQL one statement writes the case, makes the tags named for the first time
    and links them all (`case_insert_head`). The case then renders its tags without a query.
    """
    if not names or connection.vendor != "postgresql":
        insert_new([case])
        tags = _tags(names) if names else []
        if tags:
            case.tags.add(*tags)
        tags_remember(case, tags)
        return
    with connection.cursor() as cursor:
        cursor.execute(*case_insert_head(case, names).statement())
        rows = cursor.fetchall()
    mark_saved([case], [rows[0][0]])
    case_insert_done(case, names, rows)


def case_insert_head(case: Case, names: list[str]) -> WithParts:
    """The statement writing a new case with its tags, for `helpdesk.inserts.insert_new_after` (PostgreSQL).

    A data-modifying WITH: the case, the tags of `names` that exist, the ones that do not
    (made here), the links. Its rows: the case's id with each tag's id and name (or with
    two NULLs when it has none). `case_insert_done` reads them. The names travel as two
    array parameters, so the text is the same for any number of tags.
    """
    head = WithParts.insert([case])
    if not names:
        return head
    tag, through = Tag._meta.db_table, Case.tags.through._meta.db_table
    return WithParts(
        f"{head.queries}, t AS (SELECT id, name FROM {tag} WHERE name = ANY(%s::text[])), "
        f"n AS (INSERT INTO {tag} (name) SELECT v.name FROM unnest(%s::text[]) AS v(name) "
        "WHERE v.name NOT IN (SELECT name FROM t) ON CONFLICT (name) DO NOTHING RETURNING id, name), "
        "a AS (SELECT id, name FROM t UNION ALL SELECT id, name FROM n), "
        f"i AS (INSERT INTO {through} (case_id, tag_id) SELECT c.id, a.id FROM {PARENT_ROWS} AS c CROSS JOIN a)",
        f"SELECT c.id, a.id, a.name FROM {PARENT_ROWS} AS c LEFT JOIN a ON TRUE",
        [*head.params, list(names), list(names)],
    )


def case_insert_done(case: Case, names: list[str], rows: list[tuple]) -> None:
    """Remember the tags `case_insert_head` linked (the case renders them without a query).

    A tag another transaction made at the same moment is not linked by that statement
    (it was not there to see, and could not be made twice): it is linked here, after.
    """
    found = [Tag(pk=row[1], name=row[2]) for row in rows if len(row) > 1 and row[1] is not None]
    missing = [n for n in names if n not in {t.name for t in found}]
    if missing:
        found += _tags_insert(case, missing)
    tags_remember(case, found)


def _tags_insert(case: Case, names: list[str]) -> list[Tag]:
    """Link the existing tags among `names` to the case; return them (PostgreSQL: a data-modifying WITH)."""
    tag, through = Tag._meta.db_table, Case.tags.through._meta.db_table
    wanted = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH t AS (SELECT id, name FROM {tag} WHERE name IN ({wanted})), "
            f"i AS (INSERT INTO {through} (case_id, tag_id) SELECT %s, id FROM t ON CONFLICT DO NOTHING) "
            f"SELECT id, name FROM t",
            [*names, case.pk],
        )
        return [Tag(pk=pk, name=name) for pk, name in cursor.fetchall()]


def _tags(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    return list(existing.values())
