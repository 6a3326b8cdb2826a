"""Cross-department tasks: a django-fsm-2 lifecycle, stages along a route, comments, a log.

Transitions only change `state`; the services in `workflows.services.tasks` record the
stage rows, the task and case events, and the case-side effects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from helpdesk import clock
from helpdesk.eventlog import EventBase
from tickets.models import team_ids


class TaskState(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


TASK_OPEN_STATES = (TaskState.OPEN, TaskState.ACCEPTED, TaskState.IN_PROGRESS, TaskState.BLOCKED)
TASK_TRANSITION_LABELS = {
    "accept": "Accept",
    "start": "Start work",
    "block": "Mark blocked",
    "resume": "Resume",
    "advance": "Hand on to the next stage",
    "complete": "Mark done",
    "reject": "Reject",
}
TASK_REFERENCE_PREFIX = "TK-"


def task_reference(pk: int) -> str:
    return f"{TASK_REFERENCE_PREFIX}{pk:06d}"


def task_pk_from_reference(reference: str) -> int | None:
    ref = (reference or "").strip().upper()
    if ref.startswith(TASK_REFERENCE_PREFIX):
        ref = ref[len(TASK_REFERENCE_PREFIX):]
    return int(ref) if ref.isdigit() and 0 < len(ref) <= 12 else None


# --- conditions (pure) ------------------------------------------------------------------

def can_advance(task: "Task") -> bool:
    """A task hands on only while a later stage of its route is still ahead."""
    return task.stages_ahead > 0


def can_complete(task: "Task") -> bool:
    """A routed task is done only from its last stage."""
    return task.stages_ahead == 0


def can_reject(task: "Task") -> bool:
    return bool((task.rejection_reason or "").strip())


# --- permissions ------------------------------------------------------------------------

def may_work_task(task: "Task", user) -> bool:
    """The task's department, its holder, or an admin may move it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin_role:
        return True
    return task.assignee_id == user.pk or task.department_id in team_ids(user)


class Task(FSMModelMixin, models.Model):
    case = models.ForeignKey("tickets.Case", on_delete=models.PROTECT, related_name="tasks")
    department = models.ForeignKey(
        "workflows.Team", on_delete=models.PROTECT, related_name="tasks",
        help_text="The department holding the task now (the current stage's, on a route).",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route_template = models.ForeignKey(
        "workflows.RouteTemplate", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    problem = models.ForeignKey(
        "workflows.Problem", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks",
        help_text="The problem this task works on, when it is the root-cause fix.",
    )
    blocking = models.BooleanField(default=True, help_text="The case waits on internal work while this is open.")
    state = FSMField(default=TaskState.OPEN, choices=TaskState.choices, protected=True, db_index=True)
    rejection_reason = models.TextField(blank=True)
    blocked_reason = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stages_ahead = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["department", "state", "-id"], name="task_department_state_idx"),
            models.Index(fields=["case", "state"], name="task_case_state_idx"),
            models.Index(fields=["assignee", "state"], name="task_assignee_state_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return task_reference(self.pk) if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.state in TASK_OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_at and self.is_open and self.due_at < clock.now())

    # --- transitions: state only -----------------------------------------------------
    @transition(field=state, source=TaskState.OPEN, target=TaskState.ACCEPTED, permission=may_work_task)
    def accept(self):
        """The department takes the task on."""

    @transition(field=state, source=[TaskState.OPEN, TaskState.ACCEPTED], target=TaskState.IN_PROGRESS,
                permission=may_work_task)
    def start(self):
        """Work begins."""

    @transition(field=state, source=[TaskState.ACCEPTED, TaskState.IN_PROGRESS], target=TaskState.BLOCKED,
                permission=may_work_task)
    def block(self):
        """Work cannot go on until something outside the task changes."""

    @transition(field=state, source=TaskState.BLOCKED, target=TaskState.IN_PROGRESS, permission=may_work_task)
    def resume(self):
        """Work goes on after a block."""

    @transition(field=state, source=[TaskState.ACCEPTED, TaskState.IN_PROGRESS], target=TaskState.OPEN,
                conditions=[can_advance], permission=may_work_task)
    def advance(self):
        """Hand the task on to the next stage's department, which accepts it anew."""

    @transition(field=state, source=[TaskState.ACCEPTED, TaskState.IN_PROGRESS], target=TaskState.DONE,
                conditions=[can_complete], permission=may_work_task)
    def complete(self):
        """The work is finished."""

    @transition(field=state, source=list(TASK_OPEN_STATES), target=TaskState.REJECTED,
                conditions=[can_reject], permission=may_work_task)
    def reject(self):
        """The department declines the task; the reason is required."""


class TaskStage(models.Model):
    """One stage of a task's route: when it was entered, who held it, when it was left."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    department = models.ForeignKey("workflows.Team", on_delete=models.PROTECT, related_name="+")
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="held_stages"
    )
    entered_at = models.DateTimeField(null=True, blank=True)
    exited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "position"]
        constraints = [models.UniqueConstraint(fields=["task", "position"], name="taskstage_unique_position")]
        indexes = [models.Index(fields=["department", "exited_at"], name="taskstage_department_idx")]

    def __str__(self):
        return f"{self.task_id} stage {self.position}: {self.name}"

    @property
    def status(self) -> str:
        if self.exited_at:
            return "done"
        return "current" if self.entered_at else "ahead"


class TaskComment(models.Model):
    """A comment on a task, read by the task's departments and the case's agents."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Comment on {self.task_id} by {self.author_id}"


class TaskEvent(EventBase):
    """One change of a task: transition, stage entry and exit, assignment, comment."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="events")
    stage = models.ForeignKey(TaskStage, null=True, blank=True, on_delete=models.PROTECT, related_name="events")

    class Meta(EventBase.Meta):
        indexes = [models.Index(fields=["task", "id"], name="taskevent_task_idx")]

    def __str__(self):
        return f"#{self.pk} {self.kind} on task {self.task_id}"
