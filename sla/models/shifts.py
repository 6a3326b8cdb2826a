"""Team shifts (weekly, in the team's time zone), follow-the-sun chains and handover runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from sla.models.calendars import Weekday, check_week_intervals


class Shift(models.Model):
    """A weekly stretch when a team is on duty, in the team's own time zone."""

    team = models.ForeignKey("workflows.Team", on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight; an end before the start continues the next day.")

    class Meta:
        ordering = ["team", "weekday", "start"]

    def __str__(self):
        return f"{self.team} {self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        if self.team_id is None or self.start is None or self.end is None or self.weekday is None:
            return
        others = Shift.objects.filter(team_id=self.team_id).exclude(pk=self.pk)
        rows = [(s.weekday, s.start, s.end) for s in others] + [(self.weekday, self.start, self.end)]
        problems = check_week_intervals(rows)
        if problems:
            raise ValidationError(problems)


class FollowTheSunChain(models.Model):
    """Teams that hand 24x7 work to each other in turn, in order (the last to the first)."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ChainLink(models.Model):
    chain = models.ForeignKey(FollowTheSunChain, on_delete=models.CASCADE, related_name="links")
    team = models.ForeignKey("workflows.Team", on_delete=models.CASCADE, related_name="chain_links")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "team"], name="sla_chain_team_unique"),
            models.UniqueConstraint(fields=["chain", "position"], name="sla_chain_position_unique"),
        ]

    def __str__(self):
        return f"{self.chain} #{self.position}: {self.team}"


class HandoverRun(models.Model):
    """One shift end of one team, handled once: the unique row is the idempotency key."""

    team = models.ForeignKey("workflows.Team", on_delete=models.CASCADE, related_name="+")
    shift_end = models.DateTimeField()
    to_team = models.ForeignKey("workflows.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    handed_over = models.PositiveIntegerField(default=0)
    ran_at = models.DateTimeField()

    class Meta:
        ordering = ["-shift_end"]
        constraints = [models.UniqueConstraint(fields=["team", "shift_end"], name="sla_handover_once")]

    def __str__(self):
        return f"{self.team} shift end {self.shift_end:%Y-%m-%d %H:%M}"
