"""The event log base: append-only rows saying who changed what, from what to what, and why.

Every app's log (case events, task events) derives from `EventBase`. Rows are written once
by services and never updated or deleted by the application: `save()` refuses an update,
and the manager's queryset refuses bulk `update()` and `delete()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models

from helpdesk import clock


class ActorKind(models.TextChoices):
    USER = "user", "User"
    RULE = "rule", "Rule"
    SLA = "sla", "SLA"
    SCHEDULE = "schedule", "Schedule"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Actor:
    """Who or what made a change: a person, a rule, an SLA clock, a schedule or the system."""

    kind: str
    user: Any = None
    label: str = ""

    @classmethod
    def of(cls, who: "Actor | Any") -> "Actor":
        """Return `who` as an Actor; a user instance becomes a user actor."""
        if isinstance(who, Actor):
            return who
        if who is None:
            return cls.system()
        return cls(kind=ActorKind.USER, user=who, label=who.get_full_name() or who.get_username())

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def rule(cls, label: str) -> "Actor":
        return cls(kind=ActorKind.RULE, label=label)

    @classmethod
    def sla(cls, label: str) -> "Actor":
        return cls(kind=ActorKind.SLA, label=label)

    @classmethod
    def schedule(cls, label: str) -> "Actor":
        return cls(kind=ActorKind.SCHEDULE, label=label)

    @property
    def is_user(self) -> bool:
        return self.kind == ActorKind.USER and self.user is not None


class ImmutableEventError(Exception):
    """Raised when code tries to change or remove a recorded event."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableEventError("events are append-only")

    def delete(self):
        raise ImmutableEventError("events are append-only")


class EventBase(models.Model):
    """One immutable fact in a log: actor, kind, before and after values, reason and time."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=clock.now, db_index=True)
    kind = models.CharField(max_length=40, db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, default=ActorKind.USER)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["id"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEventError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("events are append-only")

    def set_actor(self, actor: Actor) -> None:
        self.actor_kind = actor.kind
        self.actor = actor.user if actor.is_user else None
        self.actor_label = actor.label
