"""The self-service request catalog: forms managers define, each fulfilled by one team."""

from django.core.exceptions import ValidationError
from django.db import models

from tickets.models import Priority


class RequestForm(models.Model):
    """A request customers file from the portal catalog; it becomes a case for `team`."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text="Shown in the catalog and above the form.")
    team = models.ForeignKey(
        "workflows.Team", on_delete=models.PROTECT, related_name="request_forms",
        help_text="The internal team that fulfils the request.",
    )
    bypass_customer_service = models.BooleanField(
        default=True,
        help_text="Send submissions straight to the fulfilment team's queue instead of customer service.",
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    CHOICE = "choice", "Choice"
    DATE = "date", "Date"
    NUMBER = "number", "Number"
    EMAIL = "email", "E-mail address"


class RequestFormField(models.Model):
    """One question of a request form, with its type and validation."""

    form = models.ForeignKey(RequestForm, on_delete=models.CASCADE, related_name="fields")
    label = models.CharField(max_length=120)
    name = models.SlugField(max_length=60, help_text="Key of the answer in the case's structured data.")
    type = models.CharField(max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=True)
    help_text = models.CharField(max_length=200, blank=True)
    choices = models.TextField(blank=True, help_text="For choice fields: one option per line.")
    regex = models.CharField(
        max_length=200, blank=True, help_text="For text fields: the whole answer must match this pattern."
    )
    regex_message = models.CharField(max_length=200, blank=True, help_text="Shown when the pattern does not match.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "name"], name="requestformfield_form_name_unique")]

    def __str__(self):
        return f"{self.form}: {self.label}"

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]

    def clean(self):
        import re

        if self.type == FieldType.CHOICE and not self.choice_list:
            raise ValidationError({"choices": "A choice field needs at least one option."})
        if self.regex:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValidationError({"regex": f"Not a valid pattern: {exc}"}) from None
