"""Reads of tasks for pages, the API and the live department board, scoped to the reader."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from helpdesk import clock
from helpdesk.errors import NotFound
from tickets.models import Case, is_case_staff, team_ids
from workflows.models import TASK_OPEN_STATES, Task, TaskComment, TaskStage, Team
from workflows.models.tasks import task_pk_from_reference


def tasks_visible_to(user) -> QuerySet[Task]:
    """Return the tasks `user` may see.

    Admins see all; everyone else the tasks of their teams (held now or at an earlier
    stage), the tasks they hold, and the tasks of cases their teams work.
    """
    qs = Task.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff_member:
        return qs.none()
    if user.is_admin_role:
        return qs
    teams = list(team_ids(user))
    staged = TaskStage.objects.filter(department_id__in=teams, entered_at__isnull=False).values("task_id")
    return qs.filter(
        Q(assignee=user) | Q(department_id__in=teams) | Q(pk__in=staged)
        | Q(case__team_id__in=teams) | Q(case__assignee=user)
    )


def task_list(user) -> QuerySet[Task]:
    """Return visible tasks with what a queue row shows loaded."""
    return tasks_visible_to(user).select_related(
        "case", "department", "assignee", "route_template", "case__requester", "case__team"
    ).prefetch_related(Prefetch("stages", queryset=TaskStage.objects.select_related("department", "holder")))


def task_get(user, reference: str | int) -> Task:
    """Return the visible task by reference (`TK-000012`) or id, or raise NotFound."""
    pk = reference if isinstance(reference, int) else task_pk_from_reference(str(reference))
    if pk is None:
        raise NotFound("No such task.")
    try:
        return task_list(user).get(pk=pk)
    except Task.DoesNotExist:
        raise NotFound("No such task.") from None


def department_queue(user, *, team: Team, include_closed: bool = False) -> QuerySet[Task]:
    """Return the tasks a department holds now, overdue and oldest first; 404 for outsiders."""
    if not (user.is_admin_role or user.is_manager_role or team.pk in team_ids(user)):
        raise NotFound("No such department.")
    qs = task_list(user).filter(department=team)
    if not include_closed:
        qs = qs.filter(state__in=TASK_OPEN_STATES)
    return qs.order_by("due_at", "created_at")


def task_route(task: Task) -> list[dict]:
    """Return the task's route: each stage done, current or ahead, with its times point to point.

    `seconds` is the time from entering a stage to leaving it (to now for the current
    one); `since_created` is the time from the task's creation to the stage's entry.
    """
    now = clock.now()
    rows = []
    for stage in task.stages.all():
        end = stage.exited_at or (now if stage.entered_at else None)
        rows.append({
            "position": stage.position, "name": stage.name, "status": stage.status,
            "department": {"id": stage.department_id, "name": stage.department.name},
            "holder": {"id": stage.holder_id, "name": str(stage.holder)} if stage.holder_id else None,
            "entered_at": stage.entered_at, "exited_at": stage.exited_at,
            "seconds": int((end - stage.entered_at).total_seconds()) if stage.entered_at else None,
            "since_created": int((stage.entered_at - task.created_at).total_seconds()) if stage.entered_at else None,
        })
    return rows


def case_tasks(user, case: Case) -> list[Task]:
    """Return the tasks of a case the user may see, each with its route, for the case page."""
    return list(task_list(user).filter(case=case).order_by("id"))


def task_case_summary(user, task: Task) -> dict:
    """Return what a department member sees of the case behind a task.

    The case's own staff see everything; others see the summary, public replies, and
    internal notes that were shared or written by their own teams.
    """
    from tickets.selectors import comments_visible_to

    case = task.case
    return {
        "case": case,
        "comments": list(comments_visible_to(user, case)),
        "full_access": is_case_staff(user, case),
    }


def task_comments(task: Task) -> QuerySet[TaskComment]:
    return task.comments.select_related("author")


def department_board(*, team: Team) -> dict:
    """Return the department's open tasks grouped by route stage, with time in the stage.

    Tasks without a route are grouped under their state. `columns` keeps route order;
    `stages` maps each column's name to its tasks (the live board reads this one).
    """
    now = clock.now()
    tasks = (
        Task.objects.filter(department=team, state__in=TASK_OPEN_STATES)
        .select_related("case", "assignee", "route_template")
        .prefetch_related("stages")
        .order_by("due_at", "created_at")
    )
    columns: dict[str, dict] = {}
    for task in tasks:
        stage = next((s for s in task.stages.all() if s.entered_at and not s.exited_at), None)
        key = f"{task.route_template.name} · {stage.name}" if stage else task.get_state_display()
        since = stage.entered_at if stage else (task.accepted_at or task.created_at)
        column = columns.setdefault(key, {"stage": key, "position": stage.position if stage else 0, "tasks": []})
        column["tasks"].append({
            "id": task.pk, "reference": task.reference, "title": task.title, "state": task.state,
            "case": task.case.reference, "case_subject": task.case.subject,
            "assignee": {"id": task.assignee_id, "name": str(task.assignee)} if task.assignee_id else None,
            "due_at": task.due_at.isoformat() if task.due_at else None, "overdue": task.is_overdue,
            "in_stage_seconds": int((now - since).total_seconds()),
            "time_in_stage_seconds": int((now - since).total_seconds()),
            "stage_entered_at": since.isoformat(),
        })
    ordered = sorted(columns.values(), key=lambda c: (c["position"], c["stage"]))
    return {"team": {"id": team.pk, "name": team.name}, "generated_at": now.isoformat(), "columns": ordered,
            "stages": {c["stage"]: c["tasks"] for c in ordered},
            "total": sum(len(c["tasks"]) for c in ordered)}
