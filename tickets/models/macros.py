"""Canned responses (macros): a reply or note text plus the field changes that go with it."""

from django.db import models

from .cases import Priority


class Macro(models.Model):
    """Text an agent sends often, with the classification it implies, kept by managers.

    Applying a macro goes through `tickets.services.macros.macro_apply`, which uses the
    case services, so every change it makes is in the event log with the agent as actor.
    """

    name = models.CharField(max_length=100, unique=True)
    body = models.TextField(help_text="The reply or note text; the agent may edit it before sending.")
    public = models.BooleanField(default=True, help_text="Send as a public reply (otherwise an internal note).")
    set_priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    set_category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    add_tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated tags to add.")
    transition = models.CharField(
        max_length=30, blank=True,
        help_text="A transition to apply afterwards when it is allowed, e.g. wait_on_customer or resolve.",
    )
    team = models.ForeignKey(
        "workflows.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="macros",
        help_text="Offer it only on this team's cases (empty: every team).",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tag_names(self) -> list[str]:
        return [t.strip().lower() for t in self.add_tags.split(",") if t.strip()]
