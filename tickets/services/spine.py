"""The shared steps of every case service: lock, check, touch, finish; and their refusals."""

from __future__ import annotations

from django.db.models.base import ModelState

from helpdesk import bus, clock
from helpdesk.errors import Conflict, DomainError, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets.models import (
    OPEN_STATES,
    TRANSITION_LABELS,
    Case,
    CaseEvent,
    State,
    is_case_staff,
)
from tickets.services import integrations


class TransitionRefused(Conflict):
    """The transition is not allowed from the case's current state (or lost a race)."""

    code = "transition_not_allowed"


class Forbidden(DomainError):
    """The caller may see the case but not make this change."""

    status_code = 403
    code = "permission_denied"


class TransitionForbidden(Forbidden):
    """The caller's role does not allow this transition on this case."""


# Transitions that need more than a name: they go through their own services.
PARAMETERISED = {"assign", "unassign", "merge"}

def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        return Case.objects.select_for_update().get(pk=pk)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def _touch(case: Case) -> None:
    case.version += 1
    case.updated_at = clock.now()


def _ownership(case: Case) -> dict:
    """Return who holds the case, as assignment events record it before and after."""
    return {"assignee": case.assignee_id, "assignee_name": str(case.assignee or ""),
            "team": case.team_id, "team_name": str(case.team or ""), "state": case.state}


def _hand_to(case: Case, assignee, team) -> None:
    """Give the case to `assignee` in `team` (None: the team's queue); the state follows."""
    case.assignee = assignee
    case.team = team
    if assignee is not None and case.state in (State.NEW, State.TRIAGED):
        case.assign()
    elif assignee is None and case.state == State.ASSIGNED:
        case.unassign()


def _check_expected(case: Case, expected_state: str | None, expected_version: int | None, actor: Actor) -> None:
    if expected_state and case.state != expected_state:
        raise Conflict(
            f"The case is now {case.get_state_display().lower()}; someone changed it first.",
            state=case.state, version=case.version, allowed_transitions=_allowed(case, actor),
        )
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            "The case changed since you loaded it.",
            state=case.state, version=case.version, allowed_transitions=_allowed(case, actor),
        )


def _allowed(case: Case, actor: Actor) -> list[str]:
    return transitions_for(case, actor.user) if actor.is_user else []


def _permitted(case: Case, name: str, user) -> bool:
    """Tell whether the transition's permission lets `user` ask for it, whatever the state.

    django-fsm's own check also fails when the state is wrong, which would turn "not now"
    (409) into "not you" (403) for requesters closing or reopening their own cases.
    """
    meta = getattr(case, name)._django_fsm
    transition = meta.get_transition(case.state) or next(iter(meta.transitions.values()))
    return transition.has_perm(case, user)


def _finish(case: Case, events: list[CaseEvent], *, reacted: bool = True) -> Case:
    """Let the SLA engine react to the new events, then publish all of them on commit."""
    if reacted:
        events = events + integrations.sla_case_changed(case=case, events=events)
    bus.publish_on_commit([e.pk for e in events], rows=lambda: _committed_copies(case, events))
    return case


def _committed_copies(case: Case, events: list[CaseEvent]) -> dict[int, CaseEvent]:
    """Copies of the committed events of `case`, sharing one copy of the case, by id.

    For the event bus's subscribers (`helpdesk.bus.rows_delivered`), which may run on the
    delivery thread while this request goes on with its own objects (rendering its
    answer): the case and events are copied as they were written. Their related rows
    (people, team, product) are shared and only read.
    """
    case_copy = _copied(case)
    prefetched = case.__dict__.get("_prefetched_objects_cache")
    if prefetched is not None:
        case_copy._prefetched_objects_cache = dict(prefetched)
    copies = {}
    for event in events:
        if event.pk is None or event.case_id != case.pk:
            continue
        event_copy = _copied(event)
        CaseEvent.case.field.set_cached_value(event_copy, case_copy)
        copies[event.pk] = event_copy
    return copies


def _copied(instance):
    """A shallow copy of a model instance with its own state and cache of related rows.

    What `copy.copy` gives, without the pickling protocol it goes through for models.
    """
    twin = object.__new__(type(instance))
    twin.__dict__.update(instance.__dict__)
    state = twin._state = ModelState()
    state.db, state.adding = instance._state.db, instance._state.adding
    state.fields_cache = dict(instance._state.fields_cache)
    return twin


def _text(value: str, field: str, *, max_chars: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} is required.", fields={field: ["This field is required."]})
    if len(value) > max_chars:
        raise InvalidInput(f"{field} is too long.", fields={field: [f"At most {max_chars} characters."]})
    return value


def transitions_for(case: Case, user) -> list[str]:
    """Return the names of the transitions `user` may apply to `case` now, in display order."""
    available = {t.name for t in case.get_available_user_state_transitions(user)}
    names = [n for n in TRANSITION_LABELS if n in available and n not in PARAMETERISED]
    if case.state in OPEN_STATES and is_case_staff(user, case):
        names.append("merge")
    return names
