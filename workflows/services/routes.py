"""Route templates and the stages a task moves through: entry, holder and exit of each."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from helpdesk import clock
from helpdesk.errors import InvalidInput
from helpdesk.eventlog import Actor
from tickets.models import User
from workflows.models import RouteStageTemplate, RouteTemplate, Task, TaskEvent, TaskStage, Team


def route_template_create(*, name: str, stages: list[dict], actor: Actor | User, description: str = "") -> RouteTemplate:
    """Create a route template with its stages in the order given.

    Each stage is {"name", "department" (Team), optional "specialist" (User)}; a route
    needs at least one stage, and every specialist must belong to the stage's department.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A route needs a name.", fields={"name": ["This field is required."]})
    if not stages:
        raise InvalidInput("A route needs at least one stage.", fields={"stages": ["Add a stage."]})
    if RouteTemplate.objects.filter(name=name).exists():
        raise InvalidInput("A route with this name exists.", fields={"name": ["Already taken."]})
    for i, stage in enumerate(stages):
        if not (stage.get("name") or "").strip() or not isinstance(stage.get("department"), Team):
            raise InvalidInput("Each stage needs a name and a department.", fields={"stages": [f"Stage {i + 1} is incomplete."]})
        specialist = stage.get("specialist")
        if specialist is not None and not specialist.memberships.filter(team=stage["department"]).exists():
            raise InvalidInput(
                f"{specialist} is not in {stage['department']}.",
                fields={"stages": [f"Stage {i + 1}: the specialist is not in the department."]},
            )
    with transaction.atomic():
        template = RouteTemplate.objects.create(name=name, slug=_unique_slug(name), description=description)
        RouteStageTemplate.objects.bulk_create(
            [RouteStageTemplate(template=template, position=i + 1, name=s["name"].strip(), department=s["department"],
                                specialist=s.get("specialist")) for i, s in enumerate(stages)]
        )
        return template


def task_stages_lay_out(*, task: Task, template: RouteTemplate) -> list[TaskStage]:
    """Copy the template's stages onto the task (none entered yet); return them in order.

    The copy keeps a task's route stable when its template is edited later.
    """
    stages = TaskStage.objects.bulk_create(
        [TaskStage(task=task, position=s.position, name=s.name, department_id=s.department_id,
                   specialist_id=s.specialist_id) for s in template.stages.all()]
    )
    task.stages_ahead = len(stages)
    return stages


def stage_enter(*, task: Task, stage: TaskStage, holder: User | None, actor: Actor) -> TaskEvent:
    """Start `stage` now with `holder`, move the task to the stage's department, log it."""
    now = clock.now()
    stage.entered_at = now
    stage.holder = holder
    stage.save(update_fields=["entered_at", "holder"])
    task.department_id = stage.department_id
    task.assignee = holder
    task.stages_ahead = TaskStage.objects.filter(task=task, position__gt=stage.position).count()
    event = TaskEvent(task=task, stage=stage, kind="stage_entered", occurred_at=now,
                      after={"stage": stage.name, "position": stage.position, "department": stage.department_id,
                             "holder": holder.pk if holder else None},
                      data={"holder_name": str(holder or "")})
    event.set_actor(actor)
    event.save()
    return event


def stage_exit(*, task: Task, stage: TaskStage, actor: Actor) -> TaskEvent:
    """Close `stage` now and log how long it took."""
    now = clock.now()
    stage.exited_at = now
    stage.save(update_fields=["exited_at"])
    event = TaskEvent(task=task, stage=stage, kind="stage_exited", occurred_at=now,
                      before={"stage": stage.name, "position": stage.position},
                      data={"seconds": int((now - stage.entered_at).total_seconds()) if stage.entered_at else None})
    event.set_actor(actor)
    event.save()
    return event


def current_stage(task: Task) -> TaskStage | None:
    return task.stages.filter(entered_at__isnull=False, exited_at__isnull=True).order_by("position").first()


def next_stage(task: Task) -> TaskStage | None:
    return task.stages.filter(entered_at__isnull=True).order_by("position").first()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "route"
    slug, n = base, 1
    while RouteTemplate.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
