"""Writing a routing decision onto a case its caller holds: one row write, one event insert.

Routing runs inside the transaction that creates or reclassifies the case, on the row that
transaction already holds. Going through `case_update` and then `case_assign` would lock
the row again, write it twice, let the SLA engine react twice and register two
publications. `case_place` applies team, priority, tags and owner to the caller's instance
in one UPDATE, appends the events those services record (same kinds, same before/after
shapes) in one INSERT, lets the SLA engine react once to all of them, and returns them for
the caller to publish with its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from helpdesk import clock
from helpdesk.errors import Conflict, InvalidInput
from helpdesk.eventlog import Actor
from helpdesk.inserts import insert_new
from tickets.models import Case, CaseEvent, EventKind, Priority, State, Tag, User, Visibility
from tickets.services import integrations
from tickets.services.details import _tag_names
from tickets.services.spine import _hand_to, _ownership

# The states `case_update` refuses to edit; `case_assign` refuses every state that is not open.
UNEDITABLE_STATES = (State.CLOSED, State.CANCELLED, State.MERGED)


def case_place(
    *,
    case: Case,
    actor: Actor,
    priority: str | None = None,
    add_tags: Sequence[str] = (),
    assign: bool = False,
    team=None,
    assignee: User | None = None,
    reason: str = "",
    assignment_reason: str = "",
    assignment_data: dict[str, Any] | None = None,
    lead: Sequence[dict[str, Any]] = (),
    sla_react: bool = True,
) -> list[CaseEvent]:
    """Set priority, tags and (with `assign`) team and owner of `case` in one write; return the events.

    `case` is the caller's instance of a row the caller holds (locked or just created in
    its transaction); it is updated in place, so nobody needs to reload it. With `assign`
    the case goes to `team` (kept when None) and to `assignee` (None: the team's queue),
    and a new or triaged case becomes assigned, as `case_assign` does; the caller vouches
    that `assignee` is a member of that team.

    Guarantees: every check runs before anything is written (a closed case, an unknown
    priority, too many tags, an owner who is not active staff raise a `DomainError` with
    the message `case_update` or `case_assign` would give), so a refusal leaves nothing
    behind. Then: one UPDATE of the changed columns (the version raised once), the tags
    added, and in one INSERT the `lead` events (entries shaped like `case_event_record`'s
    arguments, e.g. the routing decision), a `field_change` per changed field and the
    `assignment` event; the SLA engine reacts once to all of them. Events keep the team
    the case had when each was recorded: the assignment event carries the new team. The
    caller publishes the returned events (lead events first, SLA events last) on commit.
    A new case's clocks have not started yet (`case_create` starts them once routing has
    placed the case), so creation passes `sla_react=False`.
    """
    if priority is not None and priority not in Priority.values:
        raise InvalidInput("Unknown priority.", fields={"priority": [f"Choose one of {', '.join(Priority.values)}."]})
    changes_fields = priority is not None or bool(add_tags)
    if changes_fields and case.state in UNEDITABLE_STATES:
        raise Conflict(f"A {case.get_state_display().lower()} case cannot be edited.", state=case.state)
    if assign and not case.is_open:
        raise Conflict(f"A {case.get_state_display().lower()} case cannot be reassigned.", state=case.state)
    if assign and assignee is not None and (not assignee.is_staff_member or not assignee.is_active):
        raise InvalidInput("Only active staff can be assigned.", fields={"assignee": ["Not a staff member."]})
    wanted = _tag_names(list(add_tags)) if add_tags else []
    tags_before, tag_ids = _tags_now(case, wanted) if wanted else ([], {})
    tags_after = _tag_names(tags_before + wanted) if wanted else tags_before

    team_before = case.team_id
    entries: list[tuple[int | None, dict[str, Any]]] = [(team_before, entry) for entry in lead]
    fields: list[str] = []
    if priority is not None and priority != case.priority:
        entries.append((team_before, _field_change(actor, "priority", case.priority, priority, reason)))
        case.priority = priority
        fields.append("priority")
    new_tags = [name for name in tags_after if name not in tags_before]
    if new_tags:
        entries.append((team_before, _field_change(actor, "tags", tags_before, tags_after, reason)))
    if assign:
        target_team = team if team is not None else case.team
        before = _ownership(case)
        # As case_assign: no event when neither the owner nor the team changes.
        moves = (before["assignee"] != (assignee.pk if assignee else None)
                 or before["team"] != (target_team.pk if target_team else None))
        if moves:
            _hand_to(case, assignee, target_team)
            fields += ["assignee", "team", "state"]
            entries.append((case.team_id, {
                "kind": EventKind.ASSIGNMENT, "actor": actor, "reason": assignment_reason, "before": before,
                "after": _ownership(case), "data": assignment_data,
            }))
    if not fields and not new_tags:
        return _insert(case, entries) if entries else []

    # Nothing above wrote; from here on every statement belongs to the change.
    with transaction.atomic(savepoint=False):
        case.version += 1
        case.updated_at = clock.now()
        case.save(update_fields=[*fields, "version", "updated_at"])
        if new_tags:
            _tags_add(case, new_tags, tag_ids)
        events = _insert(case, entries)
        if sla_react:
            events += integrations.sla_case_changed(case=case, events=events)
        return events


def _field_change(actor: Actor, field: str, old, new, reason: str) -> dict[str, Any]:
    return {"kind": EventKind.FIELD_CHANGE, "actor": actor, "reason": reason, "before": {field: old},
            "after": {field: new}, "data": {"field": field}}


def _tags_now(case: Case, names: Sequence[str]) -> tuple[list[str], dict[str, int]]:
    """Return the case's tag names and the ids of the wanted tags that exist, in one statement.

    Written by hand (table names from the models): the ORM took three times longer to
    build this small query than the database to answer it.
    """
    tag, through = Tag._meta.db_table, Case.tags.through._meta.db_table
    wanted = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.id, t.name, EXISTS (SELECT 1 FROM {through} ct WHERE ct.case_id = %s AND ct.tag_id = t.id) "
            f"FROM {tag} t WHERE t.name IN ({wanted}) OR t.id IN (SELECT tag_id FROM {through} WHERE case_id = %s)",
            [case.pk, *names, case.pk],
        )
        rows = cursor.fetchall()
    current = sorted(name for _, name, on_case in rows if on_case)
    return current, {name: pk for pk, name, _ in rows}


def _tags_add(case: Case, names: list[str], ids: dict[str, int]) -> None:
    missing = [name for name in names if name not in ids]
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in missing], ignore_conflicts=True)
        ids.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    through = Case.tags.through
    through.objects.bulk_create([through(case_id=case.pk, tag_id=ids[n]) for n in names], ignore_conflicts=True)
    getattr(case, "_prefetched_objects_cache", {}).pop("tags", None)


def _insert(case: Case, entries: list[tuple[int | None, dict[str, Any]]]) -> list[CaseEvent]:
    """Append the events in one INSERT, each with the team the case had when it happened."""
    rows = []
    for team_id, entry in entries:
        event = CaseEvent(case=case, kind=entry["kind"], before=entry.get("before") or {},
                          after=entry.get("after") or {}, reason=entry.get("reason") or "",
                          visibility=entry.get("visibility", Visibility.INTERNAL), data=entry.get("data") or {},
                          team_id=team_id)
        event.set_actor(entry["actor"])
        rows.append(event)
    # Plain VALUES rows with the statement kept (helpdesk.inserts): for a handful of rows
    # with large JSON columns (the routing decision) the ORM's PostgreSQL form, one array
    # per column through UNNEST, costs twice as much to write out.
    return list(insert_new(rows))
