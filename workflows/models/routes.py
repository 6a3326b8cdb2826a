"""Route templates: the ordered stages a cross-department task passes through."""

from django.conf import settings
from django.db import models


class RouteTemplate(models.Model):
    """A reusable route, e.g. validate (finance) -> change (engineering) -> test (QA) -> roll out."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class RouteStageTemplate(models.Model):
    """One stage of a route template, owned by a department; position orders the stages."""

    template = models.ForeignKey(RouteTemplate, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    department = models.ForeignKey("workflows.Team", on_delete=models.PROTECT, related_name="route_stages")
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who takes this stage by default; when away, their delegate takes it.",
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="routestage_unique_position"),
        ]

    def __str__(self):
        return f"{self.position}. {self.name} ({self.department})"
