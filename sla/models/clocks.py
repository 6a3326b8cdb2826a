"""One clock per case and target: where it stands, when it is due, what has fired."""

from __future__ import annotations

from django.db import models

from sla.models.policies import TargetKind


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class Clock(models.Model):
    """The SLA clock of one case for one target.

    `checkpoints` lists the percentages that fire (warnings, then 100 for the breach);
    `fired` counts how many have fired, and only grows, in the same transaction as their
    events and under the row lock: that is what makes each one fire exactly once.
    `next_check_at` is the instant of the next checkpoint (None when nothing is left to
    fire or the clock is paused): the sweep reads only rows where it has passed.
    """

    # Indexed by the unique (case, kind) constraint, which leads with it.
    case = models.ForeignKey("tickets.Case", on_delete=models.CASCADE, related_name="sla_clocks", db_index=False)
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    policy = models.ForeignKey("sla.Policy", null=True, on_delete=models.SET_NULL, related_name="clocks")
    calendar = models.ForeignKey("sla.Calendar", on_delete=models.PROTECT, related_name="clocks")
    priority = models.CharField(max_length=2)
    state = models.CharField(max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0, help_text="Business seconds spent paused.")
    met_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    checkpoints = models.JSONField(default=list)
    fired = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)
    cycle = models.PositiveIntegerField(default=1, help_text="Next-response clocks restart on every customer reply.")

    class Meta:
        ordering = ["case", "kind"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="sla_clock_case_kind")]
        indexes = [
            # Partial: the sweep's query touches only clocks that can still fire.
            models.Index(fields=["next_check_at"], name="sla_clock_next_check_idx",
                         condition=models.Q(next_check_at__isnull=False)),
            models.Index(fields=["state", "due_at"], name="sla_clock_state_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} clock of case {self.case_id}: {self.state}"

    @property
    def is_live(self) -> bool:
        return self.state in (ClockState.RUNNING, ClockState.PAUSED)
