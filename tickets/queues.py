"""Selectors for the agent workspace queues: which cases each queue holds, and the counts.

Every queue narrows `tickets.selectors.case_list(user)`, so a queue never shows a case
the user may not see. The counts come from one conditional aggregate over the visible
open cases, plus one bounded count for "All I may see".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from tickets.models import OPEN_STATES, Case, Role, State, team_ids
from tickets.selectors import case_list, cases_visible_to

ALL_COUNT_CAP = 10_000


@dataclass(frozen=True)
class Queue:
    key: str
    label: str


QUEUES = [
    Queue("mine", "My open cases"),
    Queue("team", "My team's queue"),
    Queue("unassigned", "Unassigned"),
    Queue("waiting_customer", "Waiting on customer"),
    Queue("waiting_internal", "Waiting on internal work"),
    Queue("escalated", "Escalated"),
    Queue("all", "All I may see"),
]
QUEUE_KEYS = {q.key: q for q in QUEUES}

SORTS = {
    "-created": ("-id",),
    "created": ("id",),
    "priority": ("priority", "-id"),
    "-priority": ("-priority", "-id"),
    "-updated": ("-updated_at", "-id"),
    "updated": ("updated_at", "id"),
}
DEFAULT_SORT = "-created"


def _queue_filter(user, key: str) -> Q:
    open_ = Q(state__in=OPEN_STATES)
    if key == "mine":
        return open_ & Q(assignee_id=user.pk)
    if key == "team":
        # Cases no team has taken yet are every support agent's triage work (see cases_visible_to).
        mine = Q(team_id__in=list(team_ids(user)))
        if user.role in (Role.AGENT, Role.MANAGER):
            mine |= Q(team__isnull=True)
        return open_ & mine
    if key == "unassigned":
        return open_ & Q(assignee__isnull=True)
    if key == "waiting_customer":
        return Q(state=State.WAITING_ON_CUSTOMER)
    if key == "waiting_internal":
        return Q(state=State.WAITING_ON_INTERNAL)
    if key == "escalated":
        return open_ & Q(escalation_level__gt=0)
    return Q()


def queue_cases(user, key: str, *, sort: str = DEFAULT_SORT) -> QuerySet[Case]:
    """Return the visible cases of queue `key`, list columns loaded, in the chosen order."""
    if key not in QUEUE_KEYS:
        key = "all"
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return case_list(user).filter(_queue_filter(user, key)).order_by(*order)


def queue_counts(user) -> dict[str, str]:
    """Return each queue's count as display text; "All" stops counting at ALL_COUNT_CAP."""
    open_keys = [q.key for q in QUEUES if q.key != "all"]
    visible = cases_visible_to(user)
    counts = visible.filter(state__in=OPEN_STATES).aggregate(
        **{key: Count("pk", filter=_queue_filter(user, key)) for key in open_keys}
    )
    everything = visible.order_by()[: ALL_COUNT_CAP + 1].count()
    counts["all"] = everything
    shown = {k: f"{v:,}" for k, v in counts.items()}
    if everything > ALL_COUNT_CAP:
        shown["all"] = f"{ALL_COUNT_CAP:,}+"
    return shown


def requester_open_cases(user, case: Case, *, limit: int = 5) -> list[Case]:
    """Return other open cases of the requester (and their organization) the user may see."""
    cond = Q(requester_id=case.requester_id)
    if case.organization_id:
        cond |= Q(organization_id=case.organization_id)
    return list(
        cases_visible_to(user).filter(cond, state__in=OPEN_STATES).exclude(pk=case.pk)
        .select_related("requester").order_by("-id")[:limit]
    )
