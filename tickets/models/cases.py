"""The case and its lifecycle: a django-fsm-2 state machine whose transitions only change state.

Conditions are pure predicates (`can_*`), permissions are `may_*` callables taking the
case and the user. Everything else a transition implies (event rows, clocks, routing,
notifications) happens in `tickets.services`, the only caller of these methods.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from helpdesk import clock

from .access import is_case_staff, is_requester_side


class State(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    WAITING_ON_INTERNAL = "waiting_on_internal", "Waiting on internal work"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    MERGED = "merged", "Merged"


OPEN_STATES = (
    State.NEW,
    State.TRIAGED,
    State.ASSIGNED,
    State.IN_PROGRESS,
    State.WAITING_ON_CUSTOMER,
    State.WAITING_ON_INTERNAL,
)
TERMINAL_STATES = (State.CLOSED, State.CANCELLED, State.MERGED)

# What a customer reads instead of our internal state names.
CUSTOMER_STATE_LABELS = {
    State.NEW: "Received",
    State.TRIAGED: "Received",
    State.ASSIGNED: "With our team",
    State.IN_PROGRESS: "With our team",
    State.WAITING_ON_CUSTOMER: "Waiting for your reply",
    State.WAITING_ON_INTERNAL: "With our specialists",
    State.RESOLVED: "Solved — please confirm",
    State.CLOSED: "Closed",
    State.CANCELLED: "Withdrawn",
    State.MERGED: "Merged into another case",
}


class Priority(models.TextChoices):
    P1 = "P1", "P1 — critical"
    P2 = "P2", "P2 — high"
    P3 = "P3", "P3 — normal"
    P4 = "P4", "P4 — low"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEB = "web", "Web portal"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    SOCIAL = "social", "Social media"
    FORM = "form", "Self-service form"
    API = "api", "API"


REFERENCE_PREFIX = "CS-"


def reference_for(pk: int) -> str:
    return f"{REFERENCE_PREFIX}{pk:06d}"


def pk_from_reference(reference: str) -> int | None:
    """Return the primary key a reference like `CS-000123` stands for, or None."""
    ref = (reference or "").strip().upper()
    if ref.startswith(REFERENCE_PREFIX):
        ref = ref[len(REFERENCE_PREFIX):]
    return int(ref) if ref.isdigit() and 0 < len(ref) <= 12 else None


# --- conditions: pure predicates on the case -------------------------------------------

def can_start(case: "Case") -> bool:
    return case.assignee_id is not None


def can_assign(case: "Case") -> bool:
    return case.assignee_id is not None


def can_unassign(case: "Case") -> bool:
    return case.assignee_id is None


def can_reopen(case: "Case") -> bool:
    """A resolved case reopens any time; a closed one only within the reopen window."""
    if case.state == State.RESOLVED:
        return True
    window = timedelta(days=settings.HELPDESK["REOPEN_WINDOW_DAYS"])
    return case.closed_at is not None and clock.now() - case.closed_at <= window


def can_de_escalate(case: "Case") -> bool:
    return case.escalation_level > 0


def can_merge(case: "Case") -> bool:
    return case.merged_into_id is not None and case.merged_into_id != case.pk


# --- permissions: who may ask for a transition ----------------------------------------

def may_work(case: "Case", user) -> bool:
    return is_case_staff(user, case)


def may_close(case: "Case", user) -> bool:
    return is_case_staff(user, case) or is_requester_side(user, case)


def may_reopen(case: "Case", user) -> bool:
    return is_case_staff(user, case) or is_requester_side(user, case)


def may_cancel(case: "Case", user) -> bool:
    """Staff may cancel any open case; the requester may withdraw one nobody has picked up."""
    if is_case_staff(user, case):
        return True
    return is_requester_side(user, case) and case.state in (State.NEW, State.TRIAGED)


def may_escalate(case: "Case", user) -> bool:
    return is_case_staff(user, case)


class Case(FSMModelMixin, models.Model):
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Foreign keys and the state that lead one of the composite indexes below have no index
    # of their own: it would only slow every write (the composite serves the same lookups).
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_cases",
                                  db_index=False)
    organization = models.ForeignKey(
        "tickets.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    product = models.ForeignKey("tickets.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.P3)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    team = models.ForeignKey("workflows.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                             db_index=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases",
        db_index=False,
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="cases")
    custom_fields = models.JSONField(default=dict, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    state = FSMField(default=State.NEW, choices=State.choices, protected=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases")
    reopen_count = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=0, help_text="Raised by every change; guards concurrent edits.")

    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["team", "state", "-id"], name="case_team_state_idx"),
            models.Index(fields=["assignee", "state", "-id"], name="case_assignee_state_idx"),
            models.Index(fields=["requester", "-id"], name="case_requester_idx"),
            models.Index(fields=["organization", "-id"], name="case_org_idx"),
            models.Index(fields=["state", "priority", "-id"], name="case_state_priority_idx"),
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            models.Index(fields=["created_at"], name="case_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(escalation_level__lte=20), name="case_escalation_level_bounded"),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return reference_for(self.pk) if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def customer_state_label(self) -> str:
        return CUSTOMER_STATE_LABELS[State(self.state)]

    # --- transitions: they change `state` and nothing else --------------------------
    @transition(field=state, source=State.NEW, target=State.TRIAGED, permission=may_work)
    def triage(self):
        """Mark the case as read and classified."""

    @transition(field=state, source=[State.NEW, State.TRIAGED], target=State.ASSIGNED,
                conditions=[can_assign], permission=may_work)
    def assign(self):
        """Record that the case has an owner (the service sets the assignee first)."""

    @transition(field=state, source=State.ASSIGNED, target=State.TRIAGED,
                conditions=[can_unassign], permission=may_work)
    def unassign(self):
        """Return an owner-less case to the team queue."""

    @transition(field=state, source=[State.TRIAGED, State.ASSIGNED], target=State.IN_PROGRESS,
                conditions=[can_start], permission=may_work)
    def start(self):
        """Begin work on the case."""

    @transition(field=state, source=[State.ASSIGNED, State.IN_PROGRESS, State.WAITING_ON_INTERNAL],
                target=State.WAITING_ON_CUSTOMER, permission=may_work)
    def wait_on_customer(self):
        """Wait for the customer's answer."""

    @transition(field=state, source=[State.ASSIGNED, State.IN_PROGRESS, State.WAITING_ON_CUSTOMER],
                target=State.WAITING_ON_INTERNAL, permission=may_work)
    def wait_on_internal(self):
        """Wait for work by another team or department."""

    @transition(field=state, source=[State.WAITING_ON_CUSTOMER, State.WAITING_ON_INTERNAL],
                target=State.IN_PROGRESS, conditions=[can_start], permission=may_work)
    def resume(self):
        """Continue work after waiting."""

    @transition(field=state, source=list(OPEN_STATES[1:]), target=State.RESOLVED, permission=may_work)
    def resolve(self):
        """Declare the customer's problem solved, pending their confirmation."""

    @transition(field=state, source=State.RESOLVED, target=State.CLOSED, permission=may_close)
    def close(self):
        """Close a resolved case for good."""

    @transition(field=state, source=[State.RESOLVED, State.CLOSED],
                target=RETURN_VALUE(State.IN_PROGRESS, State.TRIAGED),
                conditions=[can_reopen], permission=may_reopen)
    def reopen(self):
        """Reopen a resolved case, or a closed one within the reopen window."""
        return State.IN_PROGRESS if self.assignee_id else State.TRIAGED

    @transition(field=state, source=list(OPEN_STATES),
                target=RETURN_VALUE(*OPEN_STATES), permission=may_escalate)
    def escalate(self):
        """Raise the case one tier (the service raises the level and re-routes)."""
        return self.state if self.state != State.NEW else State.TRIAGED

    @transition(field=state, source=list(OPEN_STATES), target=RETURN_VALUE(*OPEN_STATES),
                conditions=[can_de_escalate], permission=may_escalate)
    def de_escalate(self):
        """Return the case one tier down."""
        return self.state

    @transition(field=state, source=list(OPEN_STATES), target=State.CANCELLED, permission=may_cancel)
    def cancel(self):
        """Stop work on a case that needs none (withdrawn, spam, duplicate without merge)."""

    @transition(field=state, source=list(OPEN_STATES), target=State.MERGED,
                conditions=[can_merge], permission=may_work)
    def merge(self):
        """Fold this case into another one (the service sets `merged_into` first)."""


# Transitions a client may ask for by name, with the words shown on buttons.
TRANSITION_LABELS = {
    "triage": "Triage",
    "assign": "Assign",
    "unassign": "Unassign",
    "start": "Start work",
    "wait_on_customer": "Wait on customer",
    "wait_on_internal": "Wait on internal work",
    "resume": "Resume",
    "resolve": "Resolve",
    "close": "Close",
    "reopen": "Reopen",
    "escalate": "Escalate",
    "de_escalate": "De-escalate",
    "cancel": "Cancel",
    "merge": "Merge",
}
