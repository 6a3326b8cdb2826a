"""Product feedback: what customers asked for, grouped into items the product team decides on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from helpdesk import clock
from helpdesk.eventlog import EventBase


class FeedbackStatus(models.TextChoices):
    NEW = "new", "New"
    PLANNED = "planned", "Planned"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"


DECIDED = (FeedbackStatus.PLANNED, FeedbackStatus.SHIPPED, FeedbackStatus.DECLINED)


class FeedbackItem(FSMModelMixin, models.Model):
    """One idea or complaint about a product area; many customers' requests point at it."""

    title = models.CharField(max_length=200)
    product = models.ForeignKey("tickets.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=100, blank=True, db_index=True)
    theme = models.CharField(max_length=100, blank=True, db_index=True)
    status = FSMField(default=FeedbackStatus.NEW, choices=FeedbackStatus.choices, protected=True, db_index=True)
    status_note = models.TextField(blank=True, help_text="What customers are told with the status.")
    created_at = models.DateTimeField(default=clock.now)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    loop_closed_at = models.DateTimeField(null=True, blank=True, help_text="When every asker was told the decision.")

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.title

    @transition(field=status, source=[FeedbackStatus.NEW], target=FeedbackStatus.PLANNED)
    def plan(self):
        """The product team will build it."""

    @transition(field=status, source=[FeedbackStatus.NEW, FeedbackStatus.PLANNED], target=FeedbackStatus.SHIPPED)
    def ship(self):
        """It is in the product."""

    @transition(field=status, source=[FeedbackStatus.NEW, FeedbackStatus.PLANNED], target=FeedbackStatus.DECLINED)
    def decline(self):
        """The product team will not build it."""


class FeedbackRequest(models.Model):
    """One customer asking, through one case categorised as product feedback."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.PROTECT, related_name="requests")
    case = models.OneToOneField("tickets.Case", on_delete=models.CASCADE, related_name="feedback_request")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("tickets.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=100, blank=True)
    theme = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    told_status = models.CharField(max_length=20, blank=True, help_text="The last decision this customer was told.")
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.case_id} -> {self.item_id}"


class FeedbackEvent(EventBase):
    """One change of a feedback item: captured request, status set, loop closed."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.PROTECT, related_name="events")

    class Meta(EventBase.Meta):
        indexes = [models.Index(fields=["item", "id"], name="feedbackevent_item_idx")]

    def __str__(self):
        return f"#{self.pk} {self.kind} on feedback {self.item_id}"
