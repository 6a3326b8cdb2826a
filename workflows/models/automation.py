"""Automation rules: when something happens to a case and conditions hold, act."""

from django.db import models

from helpdesk import clock


class Trigger(models.TextChoices):
    CASE_CREATED = "case_created", "Case created"
    CASE_TRANSITIONED = "case_transitioned", "Case transitioned"
    CUSTOMER_COMMENTED = "customer_commented", "Customer commented"
    AGENT_COMMENTED = "agent_commented", "Agent commented"
    FIELD_CHANGED = "field_changed", "Field changed"
    SLA_WARNING = "sla_warning", "SLA warning"
    SLA_BREACH = "sla_breach", "SLA breach"
    TASK_DONE = "task_done", "Task done"
    PROBLEM_FIXED = "problem_fixed", "Problem fixed"


class AutomationRule(models.Model):
    """`trigger` + all `conditions` -> `actions`, run by a Celery worker after commit."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    trigger = models.CharField(max_length=30, choices=Trigger.choices, db_index=True)
    position = models.IntegerField(default=100)
    is_active = models.BooleanField(default=True)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list)
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from workflows.services.rule_checks import automation_rule_problems

        problems = automation_rule_problems(trigger=self.trigger, conditions=self.conditions, actions=self.actions)
        if problems:
            raise ValidationError(problems)


class AutomationRun(models.Model):
    """That `rule` acted on `event`: makes a re-delivered task act once."""

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    event = models.ForeignKey("tickets.CaseEvent", on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=20, default="done")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "event"], name="automation_run_once")]

    def __str__(self):
        return f"{self.rule} on event {self.event_id}: {self.outcome}"
