"""Comments (public replies and internal notes), their attachments, and the case event log."""

from django.conf import settings
from django.db import models

from helpdesk import clock
from helpdesk.eventlog import EventBase


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"  # the customer sees it
    INTERNAL = "internal", "Internal"  # staff who may see the case
    RESTRICTED = "restricted", "Restricted"  # the case's team, the author's team and managers


class Comment(models.Model):
    case = models.ForeignKey("tickets.Case", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    is_public = models.BooleanField(default=False)
    author_team = models.ForeignKey(
        "workflows.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The team the author wrote for; other departments see its internal notes only if shared.",
    )
    shared = models.BooleanField(default=False, help_text="An internal note shared with every team on the case.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "id"], name="comment_case_idx")]

    def __str__(self):
        return f"{'Reply' if self.is_public else 'Note'} on {self.case_id} by {self.author_id}"

    @property
    def visibility(self) -> str:
        if self.is_public:
            return Visibility.PUBLIC
        return Visibility.INTERNAL if self.shared else Visibility.RESTRICTED


def attachment_path(instance, filename):
    return f"attachments/{instance.case_id}/{clock.now():%Y%m%d%H%M%S}-{filename}"


class Attachment(models.Model):
    case = models.ForeignKey("tickets.Case", on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    TRANSITION = "transition", "Transition"
    ASSIGNMENT = "assignment", "Assignment"
    FIELD_CHANGE = "field_change", "Field change"
    COMMENT = "comment", "Comment"
    ATTACHMENT = "attachment", "Attachment"
    ESCALATION = "escalation", "Escalation"
    ROUTING = "routing", "Routing"
    AUTOMATION = "automation", "Automation"
    HANDOVER = "handover", "Handover"
    SLA = "sla", "SLA"
    TASK = "task", "Task"
    PROBLEM = "problem", "Problem"
    MERGE = "merge", "Merge"
    NOTIFICATION = "notification", "Notification"
    FEEDBACK = "feedback", "Product feedback"


class CaseEvent(EventBase):
    """One change of a case; the timeline and the live boards are read from these rows."""

    # Indexed by the composites below, which lead with the same columns.
    case = models.ForeignKey("tickets.Case", on_delete=models.PROTECT, related_name="events", db_index=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    team = models.ForeignKey(
        "workflows.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        help_text="The case's team when the event happened (for board fan-out).",
    )

    class Meta(EventBase.Meta):
        indexes = [
            models.Index(fields=["case", "id"], name="caseevent_case_idx"),
            models.Index(fields=["team", "id"], name="caseevent_team_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.kind} on case {self.case_id}"
