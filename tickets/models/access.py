"""Who stands where to a case: the object-level rules shared by selectors, pages and the FSM.

These read only the user's team ids, cached on the user object for the length of a
request, so checking many cases costs one query.
"""

from __future__ import annotations

from .people import Role


def team_ids(user) -> frozenset[int]:
    """Return the ids of the teams the user belongs to (any membership role), cached."""
    cached = getattr(user, "_helpdesk_team_ids", None)
    if cached is None:
        if not getattr(user, "is_authenticated", False) or not user.pk:
            cached = frozenset()
        else:
            cached = frozenset(user.memberships.values_list("team_id", flat=True))
        user._helpdesk_team_ids = cached
    return cached


def forget_team_ids(user) -> None:
    """Drop the cached team ids (after a membership change in the same request)."""
    if hasattr(user, "_helpdesk_team_ids"):
        del user._helpdesk_team_ids


def is_case_staff(user, case) -> bool:
    """Tell whether the user works this case: its team, its assignee, or an admin.

    A case no team has taken yet is open to every agent and manager for triage.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin_role:
        return True
    if user.role not in (Role.AGENT, Role.MANAGER, Role.DEPARTMENT):
        return False
    if case.assignee_id is not None and case.assignee_id == user.pk:
        return True
    if case.team_id is None:
        return user.role in (Role.AGENT, Role.MANAGER)
    return case.team_id in team_ids(user)


def is_requester_side(user, case) -> bool:
    """Tell whether the user asked for the case, or administers the organization that did."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if case.requester_id == user.pk:
        return True
    return bool(user.is_org_admin and user.organization_id and case.organization_id == user.organization_id)
