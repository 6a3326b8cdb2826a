"""Choosing who in a team gets a case or a task."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Count, Q

from tickets.models import OPEN_STATES, User


def assignee_pick(*, team, case=None, exclude_user_ids: Collection[int] = ()):
    """Return the member of `team` who should take the work next, or None.

    Picks the active member with the fewest open cases; ties go to the longest-serving
    member. Returns None when the team has no available member.
    """
    candidates = (
        User.objects.filter(memberships__team=team, is_active=True)
        .exclude(pk__in=list(exclude_user_ids))
        .annotate(open_cases=Count("assigned_cases", filter=Q(assigned_cases__state__in=OPEN_STATES)))
        .order_by("open_cases", "memberships__joined_at", "pk")
    )
    return candidates.first()
