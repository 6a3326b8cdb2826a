"""What each person wants to be told, and how."""

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "A case is assigned to me"
    ESCALATED = "escalated", "A case is escalated to me or my team"
    HANDOVER = "handover", "Cases handed over to me during an absence"
    AUTOMATION = "automation", "Messages from automation rules"
    SLA = "sla", "SLA warnings and breaches"
    TASK = "task", "Tasks for my department"


class NotificationPreference(models.Model):
    """Per person and kind: in-app and e-mail on or off. No row means both on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=40)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self):
        return f"{self.user}: {self.kind} in-app={self.in_app} email={self.email}"
