"""SLA policies (ordered, first match wins) and their targets per priority."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from tickets.models import Channel, Priority, State, Tier


class TargetKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


PAUSABLE_STATES = (State.WAITING_ON_CUSTOMER, State.WAITING_ON_INTERNAL)


def default_pause_states() -> list[str]:
    return [State.WAITING_ON_CUSTOMER]


def default_thresholds() -> list[int]:
    return [75, 90]


def _choice_list_errors(values, allowed, label) -> str | None:
    if not isinstance(values, list):
        return f"{label} must be a list."
    bad = [v for v in values if v not in allowed]
    if bad:
        return f"Unknown {label}: {', '.join(map(str, bad))}. Choose from {', '.join(allowed)}."
    return None


class Policy(models.Model):
    """Which cases a set of targets applies to; the lowest position that matches wins.

    An empty condition matches everything. The default policy matches when no other does.
    """

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100, db_index=True)
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="Applies when no other policy matches.")
    tiers = models.JSONField(default=list, blank=True, help_text="Organization tiers, e.g. [\"enterprise\"].")
    priorities = models.JSONField(default=list, blank=True, help_text="e.g. [\"P1\", \"P2\"].")
    channels = models.JSONField(default=list, blank=True)
    products = models.ManyToManyField("tickets.Product", blank=True, related_name="+")
    categories = models.ManyToManyField("tickets.Category", blank=True, related_name="+",
                                        help_text="A category matches its sub-categories too.")
    pause_states = models.JSONField(default=default_pause_states, blank=True,
                                    help_text="Case states that pause the resolution clock.")
    warning_thresholds = models.JSONField(default=default_thresholds, blank=True,
                                          help_text="Percentages of the target that warn, e.g. [75, 90].")
    breach_notify_manager = models.BooleanField(default=True)
    breach_escalate = models.BooleanField(default=False, help_text="Escalate the case one tier on breach.")
    breach_reassign_team = models.ForeignKey("workflows.Team", null=True, blank=True, on_delete=models.SET_NULL,
                                             related_name="+", help_text="Hand a breached case to this team.")
    breach_reassign_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.SET_NULL, related_name="+",
                                             help_text="Hand a breached case to this agent.")
    chain = models.ForeignKey("sla.FollowTheSunChain", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="policies", help_text="Teams that keep a 24x7 policy covered.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="sla_one_default_policy"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        for field, allowed, label in (
            ("tiers", Tier.values, "tiers"), ("priorities", Priority.values, "priorities"),
            ("channels", Channel.values, "channels"), ("pause_states", [str(s) for s in PAUSABLE_STATES], "pause states"),
        ):
            problem = _choice_list_errors(getattr(self, field), allowed, label)
            if problem:
                errors[field] = problem
        thresholds = self.warning_thresholds
        if not isinstance(thresholds, list) or not all(isinstance(t, (int, float)) and not isinstance(t, bool)
                                                        for t in thresholds):
            errors["warning_thresholds"] = "Warning thresholds must be a list of percentages."
        elif any(not 0 < t < 100 for t in thresholds):
            errors["warning_thresholds"] = "Each warning threshold must be between 0 and 100 (exclusive)."
        elif len(set(thresholds)) != len(thresholds):
            errors["warning_thresholds"] = "Warning thresholds must not repeat."
        if errors:
            raise ValidationError(errors)


class Target(models.Model):
    """How long a case of one priority may wait for one kind of answer, on a calendar."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    minutes = models.IntegerField(help_text="Business minutes on the calendar.")
    calendar = models.ForeignKey("sla.Calendar", on_delete=models.PROTECT, related_name="targets")

    class Meta:
        ordering = ["policy", "priority", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority", "kind"], name="sla_target_unique"),
        ]

    def __str__(self):
        return f"{self.policy} {self.priority} {self.get_kind_display()}: {self.minutes} min"

    def clean(self):
        if self.minutes is None or self.minutes <= 0:
            raise ValidationError({"minutes": "A target must be longer than zero minutes."})
