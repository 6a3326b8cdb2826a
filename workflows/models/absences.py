"""Time away: while an absence runs nothing is routed to the person; their work detours."""

from django.conf import settings
from django.db import models

from helpdesk import clock


class Absence(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="delegations",
        help_text="Who takes this person's open cases while they are away; empty sends them back to the team.",
    )
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    # Set by the beat sweep once the person's open cases have been handed over.
    detoured_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["user", "starts_at", "ends_at"], name="absence_user_span_idx"),
            models.Index(fields=["detoured_at", "starts_at"], name="absence_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"),
            models.CheckConstraint(condition=~models.Q(delegate=models.F("user")), name="absence_delegate_not_self"),
        ]

    def __str__(self):
        return f"{self.user} away {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"
