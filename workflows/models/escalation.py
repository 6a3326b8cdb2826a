"""Escalation paths: the tiers above a team, ending with a manager."""

from django.conf import settings
from django.db import models


class EscalationPath(models.Model):
    """The way up from `team`: tier 1, tier 2 ... and beyond the last tier, the manager."""

    team = models.OneToOneField("workflows.Team", on_delete=models.CASCADE, related_name="escalation_path")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who a case reaches above the last tier; empty uses the team's lead or manager.",
    )

    class Meta:
        ordering = ["team__name"]

    def __str__(self):
        return f"Escalation from {self.team}"


class EscalationTier(models.Model):
    path = models.ForeignKey(EscalationPath, on_delete=models.CASCADE, related_name="tiers")
    level = models.PositiveSmallIntegerField(help_text="Escalation level this tier handles: 1, 2 ...")
    team = models.ForeignKey("workflows.Team", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["path", "level"]
        constraints = [models.UniqueConstraint(fields=["path", "level"], name="escalation_tier_unique")]

    def __str__(self):
        return f"Level {self.level}: {self.team}"
