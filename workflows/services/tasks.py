"""Every write to a cross-department task: create, transition, comment.

Each service locks the task row, applies the FSM transition, writes a TaskEvent and a
case event of kind "task", moves the case in or out of "waiting on internal work"
through the case services, and registers notifications and webhooks on commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django_fsm import can_proceed, has_transition_perm

from helpdesk import bus, clock
from helpdesk.errors import Conflict, DomainError, InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets.models import Case, CaseEvent, EventKind, State, User, is_case_staff
from tickets.services.cases import TransitionRefused, case_transition
from tickets.services.events import case_event_record
from workflows.models import TASK_OPEN_STATES, RouteTemplate, Task, TaskComment, TaskEvent, TaskState, Team
from workflows.models.tasks import TASK_TRANSITION_LABELS, may_work_task
from workflows.services import routes
from workflows.services.absences import absent_user_ids, detour_for
from workflows.services.assignment import assignee_pick
from workflows.services.notifications import notify
from workflows.services.webhooks import webhook_emit

# Case states from which a new blocking task puts the case on hold.
WAITABLE = (State.ASSIGNED, State.IN_PROGRESS, State.WAITING_ON_CUSTOMER)
# The case event data.type written for each task transition.
CASE_EVENT_TYPES = {"accept": "accepted", "advance": "stage", "block": "blocked", "complete": "done", "reject": "rejected"}


class TaskTransitionForbidden(DomainError):
    status_code = 403
    code = "permission_denied"


def task_create(
    *,
    case: Case,
    department: Team,
    title: str,
    actor: Actor | User,
    description: str = "",
    route_template: RouteTemplate | None = None,
    blocking: bool = True,
    due_at: datetime | None = None,
    specialist: User | None = None,
    problem=None,
) -> Task:
    """Route a task from `case` to a department (or along a route template) and return it.

    The holder is `specialist` (or the first stage's specialist) unless they are away,
    when their delegate takes it; otherwise the department's assignment strategy picks.
    A blocking task puts a case that is being worked into "waiting on internal work".
    """
    actor = Actor.of(actor)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("A task needs a title of at most 200 characters.", fields={"title": ["Required, at most 200 characters."]})
    if actor.is_user and not is_case_staff(actor.user, case):
        raise NotFound("No such case.")
    if not case.is_open:
        raise Conflict(f"A {case.get_state_display().lower()} case cannot get new tasks.", state=case.state)
    if due_at is not None and due_at <= clock.now():
        raise InvalidInput("The due time must be in the future.", fields={"due_at": ["Must be in the future."]})
    if route_template is not None and not route_template.is_active:
        raise InvalidInput("That route is no longer in use.", fields={"route_template": ["Inactive route."]})
    with transaction.atomic():
        now = clock.now()
        task = Task.objects.create(
            case=case, department=department, title=title, description=description or "",
            created_by=actor.user if actor.is_user else None, route_template=route_template, problem=problem,
            blocking=blocking, due_at=due_at, created_at=now, updated_at=now,
        )
        log = [_task_event(task, "created", actor, after={"state": task.state, "department": department.pk,
                                                          "route": route_template.pk if route_template else None})]
        if route_template is not None:
            stages = routes.task_stages_lay_out(task=task, template=route_template)
            if not stages:
                raise InvalidInput("That route has no stages.", fields={"route_template": ["No stages."]})
            first = stages[0]
            holder, detour = _pick_holder(department=first.department, case=case, specialist=specialist or first.specialist)
            log.append(routes.stage_enter(task=task, stage=first, holder=holder, actor=actor))
        else:
            holder, detour = _pick_holder(department=department, case=case, specialist=specialist)
            task.assignee = holder
        task.save()
        log.append(_task_event(task, "assignment", actor, after={"assignee": holder.pk if holder else None},
                               data={"detour_from": detour.pk if detour else None,
                                     "why": f"{detour} is away; their delegate takes it." if detour else "Department strategy."}))
        events = [_case_event(task, actor, "created")]
        if blocking:
            events += _case_hold(task, actor)
        bus.publish_on_commit([e.pk for e in events])
        _tell_holder(task, detour)
        _emit_on_commit("task.created", task)
        return task


def task_transition(*, task: Task | int, name: str, actor: Actor | User, reason: str = "",
                    expected_version: int | None = None) -> Task:
    """Apply the named transition, or raise: 404 unknown name or task, 403 not permitted, 409 illegal now.

    Rejecting and blocking need a reason. Advancing closes the current stage and opens the
    next one with its department's holder; completing closes the last stage. When the
    last open blocking task of the case ends, the case resumes work, with an event.
    """
    actor = Actor.of(actor)
    if name not in TASK_TRANSITION_LABELS:
        raise NotFound(f"There is no task transition called {name!r}.")
    reason = (reason or "").strip()[:2000]
    if name in ("reject", "block") and not reason:
        raise InvalidInput(f"Say why you {name} the task.", fields={"reason": ["This field is required."]})
    with transaction.atomic():
        task = _lock(task)
        if expected_version is not None and task.version != expected_version:
            raise Conflict("The task changed since you loaded it.", state=task.state, version=task.version)
        if actor.is_user and not may_work_task(task, actor.user):
            raise TaskTransitionForbidden("Only the task's department may move it.")
        if name == "reject":
            task.rejection_reason = reason
        method = getattr(task, name)
        if not can_proceed(method) or (actor.is_user and not has_transition_perm(method, actor.user)):
            raise TransitionRefused(
                f"Cannot {TASK_TRANSITION_LABELS[name].lower()} a task that is {task.get_state_display().lower()}.",
                state=task.state, version=task.version,
                allowed_transitions=task_transitions_for(task, actor.user) if actor.is_user else [],
            )
        before = {"state": task.state, "assignee": task.assignee_id, "department": task.department_id}
        method()
        now = clock.now()
        log = []
        if name == "accept":
            task.accepted_at = task.accepted_at or now
            if task.assignee_id is None and actor.is_user:
                task.assignee = actor.user
        elif name == "block":
            task.blocked_reason = reason
        elif name == "resume":
            task.blocked_reason = ""
        elif name in ("advance", "complete", "reject"):
            stage = routes.current_stage(task)
            if stage is not None:
                log.append(routes.stage_exit(task=task, stage=stage, actor=actor))
            if name == "advance":
                following = routes.next_stage(task)
                holder, _ = _pick_holder(department=following.department, case=task.case, specialist=following.specialist)
                log.append(routes.stage_enter(task=task, stage=following, holder=holder, actor=actor))
            else:
                task.finished_at = now
        task.version += 1
        task.updated_at = now
        task.save()
        _task_event(task, "transition", actor, reason=reason, before=before,
                    after={"state": task.state, "assignee": task.assignee_id, "department": task.department_id},
                    data={"transition": name})
        events = []
        if name in CASE_EVENT_TYPES:
            events.append(_case_event(task, actor, CASE_EVENT_TYPES[name], reason=reason))
        if task.state in (TaskState.DONE, TaskState.REJECTED) and task.blocking:
            events += _case_release(task, actor)
        bus.publish_on_commit([e.pk for e in events])
        if name == "advance":
            _tell_holder(task, None)
        if task.state in (TaskState.DONE, TaskState.REJECTED):
            _tell_case_owner(task, reason)
            _emit_on_commit(f"task.{task.state}", task)
        return task


def task_comment_add(*, task: Task | int, author: User, body: str) -> TaskComment:
    """Add a comment that the task's departments and the case's agents read."""
    from workflows.selectors.tasks import task_get

    body = (body or "").strip()
    if not body or len(body) > 20_000:
        raise InvalidInput("Write a comment of at most 20,000 characters.", fields={"body": ["Required, at most 20,000 characters."]})
    with transaction.atomic():
        task = task_get(author, task.pk if isinstance(task, Task) else task)
        comment = TaskComment.objects.create(task=task, author=author, body=body, created_at=clock.now())
        _task_event(task, "comment", Actor.of(author), after={"comment": comment.pk}, data={"excerpt": body[:280]})
        return comment


def task_transitions_for(task: Task, user) -> list[str]:
    """Return the names of the transitions `user` may apply to `task` now."""
    if user is None:
        return []
    available = {t.name for t in task.get_available_user_state_transitions(user)}
    if task.is_open and may_work_task(task, user):
        available.add("reject")  # needs only a reason, given with the request
    return [n for n in TASK_TRANSITION_LABELS if n in available]


# --- internals ----------------------------------------------------------------------------

def _lock(task: Task | int) -> Task:
    pk = task.pk if isinstance(task, Task) else task
    try:
        return Task.objects.select_for_update().get(pk=pk)
    except Task.DoesNotExist:
        raise NotFound("No such task.") from None


def _pick_holder(*, department: Team, case: Case, specialist: User | None) -> tuple[User | None, User | None]:
    """Return (holder, the away person detoured around or None).

    A named specialist who is away hands the task to their delegate; with no delegate
    the department's strategy picks among the others.
    """
    now = clock.now()
    if specialist is not None:
        delegate = detour_for(user=specialist, at=now)
        if delegate is not None:
            return delegate, specialist
        if specialist.pk not in absent_user_ids(user_ids=[specialist.pk], at=now):
            return specialist, None
        return assignee_pick(team=department, case=case, exclude_user_ids=[specialist.pk]), specialist
    picked = assignee_pick(team=department, case=case)
    if picked is None:
        return None, None
    delegate = detour_for(user=picked, at=now)
    return (delegate, picked) if delegate is not None else (picked, None)


def _task_event(task: Task, kind: str, actor: Actor, *, reason: str = "", before=None, after=None, data=None) -> TaskEvent:
    event = TaskEvent(task=task, kind=kind, reason=reason, before=before or {}, after=after or {}, data=data or {},
                      occurred_at=clock.now())
    event.set_actor(actor)
    event.save()
    return event


def _case_event(task: Task, actor: Actor, kind: str, *, reason: str = "") -> CaseEvent:
    stage = routes.current_stage(task) if task.route_template_id else None
    return case_event_record(
        case=task.case, kind=EventKind.TASK, actor=actor, reason=reason,
        after={"task_state": task.state},
        data={"type": kind, "task": task.pk, "reference": task.reference, "title": task.title,
              "department": task.department_id, "department_name": task.department.name,
              "assignee": task.assignee_id, "stage": stage.name if stage else None,
              "blocking": task.blocking},
    )


def _system_actor(task: Task, actor: Actor, verb: str) -> Actor:
    """Case transitions made because of a task are the system's, naming who caused them."""
    return Actor.system(f"{task.reference} {verb} by {actor.label}")


def _case_hold(task: Task, actor: Actor) -> list[CaseEvent]:
    case = Case.objects.get(pk=task.case_id)
    if case.state not in WAITABLE:
        return []
    case_transition(case=case.pk, name="wait_on_internal", actor=_system_actor(task, actor, "opened"),
                    reason=f"Waiting on {task.reference} ({task.department.name}): {task.title}")
    return []


def _case_release(task: Task, actor: Actor) -> list[CaseEvent]:
    others = Task.objects.filter(case_id=task.case_id, blocking=True, state__in=TASK_OPEN_STATES).exclude(pk=task.pk)
    case = Case.objects.get(pk=task.case_id)
    if others.exists() or case.state != State.WAITING_ON_INTERNAL:
        return []
    verb = "done" if task.state == TaskState.DONE else "rejected"
    try:
        case_transition(case=case.pk, name="resume", actor=_system_actor(task, actor, verb),
                        reason=f"The last internal task, {task.reference}, is {verb}.")
    except TransitionRefused:
        # A case with nobody assigned cannot resume; it stays for its team to pick up.
        pass
    return []


def _tell_holder(task: Task, detour_from: User | None) -> None:
    if task.assignee is None:
        return
    body = f"{task.title}\nCase {task.case.reference}: {task.case.subject}"
    if detour_from is not None:
        body += f"\nYou take it for {detour_from}, who is away."
    notify(recipients=[task.assignee], kind="task_assigned", title=f"Task {task.reference} for {task.department.name}",
           body=body, case=task.case, url=f"/desk/tasks/{task.reference}/", data={"task": task.pk})


def _tell_case_owner(task: Task, reason: str) -> None:
    owner = task.case.assignee
    if owner is None:
        return
    verb = "done" if task.state == TaskState.DONE else "rejected"
    notify(recipients=[owner], kind=f"task_{verb}", title=f"Task {task.reference} is {verb}",
           body=reason or task.title, case=task.case, data={"task": task.pk})


def _emit_on_commit(event_type: str, task: Task) -> None:
    payload = {"task": task.pk, "reference": task.reference, "state": task.state, "title": task.title,
               "case": task.case.reference, "department": task.department.name}
    transaction.on_commit(lambda: webhook_send(event_type, payload))


def webhook_send(event_type: str, payload: dict) -> None:
    """Queue an outgoing webhook to every endpoint subscribed to `event_type` (called after commit)."""
    webhook_emit(event_type=event_type, payload=payload)
