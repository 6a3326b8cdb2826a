"""Problems: the root cause behind many cases, its workaround, its fix, and who was told."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from helpdesk import clock


class ProblemStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    KNOWN_ERROR = "known_error", "Known error with workaround"
    FIXED = "fixed", "Fixed"
    CLOSED = "closed", "Closed"


PROBLEM_REFERENCE_PREFIX = "PB-"


def problem_pk_from_reference(reference: str) -> int | None:
    ref = (reference or "").strip().upper()
    if ref.startswith(PROBLEM_REFERENCE_PREFIX):
        ref = ref[len(PROBLEM_REFERENCE_PREFIX):]
    return int(ref) if ref.isdigit() and 0 < len(ref) <= 12 else None


def can_record_workaround(problem: "Problem") -> bool:
    return bool((problem.workaround or "").strip())


def can_fix(problem: "Problem") -> bool:
    return bool((problem.resolution or "").strip())


class Problem(FSMModelMixin, models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Customer-facing description of the problem.")
    workaround = models.TextField(blank=True, help_text="Customer-facing steps that help until the fix.")
    resolution = models.TextField(blank=True, help_text="Customer-facing account of the fix; sent as the public reply.")
    state = FSMField(default=ProblemStatus.INVESTIGATING, choices=ProblemStatus.choices, protected=True, db_index=True)
    department = models.ForeignKey(
        "workflows.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="problems",
        help_text="The department that owns the root cause.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_problems"
    )
    # The matching rule: every part that is set must hold; keywords match any one word.
    product = models.ForeignKey("tickets.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    keywords = models.CharField(max_length=500, blank=True, help_text="Comma-separated words or phrases.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fix_completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the background fix had resolved every linked open case."
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"{PROBLEM_REFERENCE_PREFIX}{self.pk:05d}" if self.pk else ""

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in (self.keywords or "").split(",") if k.strip()]

    @transition(field=state, source=[ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR],
                target=ProblemStatus.KNOWN_ERROR, conditions=[can_record_workaround])
    def record_workaround(self):
        """A workaround is known; linked cases show it."""

    @transition(field=state, source=[ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR],
                target=ProblemStatus.FIXED, conditions=[can_fix])
    def fix(self):
        """The root cause is fixed; linked open cases get the resolution."""

    @transition(field=state, source=ProblemStatus.FIXED, target=ProblemStatus.CLOSED)
    def close(self):
        """Nothing more to do."""


class ProblemLink(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="links")
    case = models.ForeignKey("tickets.Case", on_delete=models.CASCADE, related_name="problem_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    linked_at = models.DateTimeField(default=clock.now)
    workaround_sent_at = models.DateTimeField(null=True, blank=True)
    fix_applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When the fix's public reply and resolution reached this case."
    )

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["problem", "case"], name="problemlink_unique")]
        indexes = [models.Index(fields=["problem", "fix_applied_at"], name="problemlink_pending_idx")]

    def __str__(self):
        return f"{self.case_id} -> problem {self.problem_id}"


class ProblemNotification(models.Model):
    """The durable record that a customer was told about a problem's fix: once per customer."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="notifications")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("tickets.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notified_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["problem", "customer"], name="problemnotification_once")]

    def __str__(self):
        return f"problem {self.problem_id} told {self.customer_id}"
