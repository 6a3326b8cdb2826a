"""Routing rules: ordered conditions and actions deciding where a new case goes."""

from django.db import models

from helpdesk import clock


class RoutingRule(models.Model):
    """One rule: when all `conditions` hold, apply `actions`. Lower position runs first.

    Conditions and actions are JSON checked by `workflows.rules.schema` on every save
    (admin, API and services); the default rule has no conditions and always matches.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.IntegerField(default=100, db_index=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, editable=False)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    # Raised by every save so each process can tell its compiled copy is stale.
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["is_default", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="routing_one_default"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        from workflows.services.rule_checks import routing_rule_problems

        problems = routing_rule_problems(conditions=self.conditions, actions=self.actions, is_default=self.is_default)
        if problems:
            raise ValidationError(problems)
