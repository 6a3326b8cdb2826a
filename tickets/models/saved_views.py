"""Saved personal views of the agent workspace: a named queue with its filters and sort."""

from django.conf import settings
from django.db import models

from helpdesk import clock


class SavedView(models.Model):
    """A queue plus a query string (filters, search, sort) an agent named to come back to."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    queue = models.CharField(max_length=30, default="all")
    query = models.CharField(max_length=1000, blank=True, help_text="The filters as a URL query string.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="savedview_owner_name_unique")]

    def __str__(self):
        return f"{self.name} ({self.owner_id})"
