"""Who may watch which board: one set of rules for the pages and the sockets.

A board the user may not watch and a board that does not exist look the same (None),
so a slug or reference cannot be probed.
"""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import Case, Role, team_ids
from tickets.selectors import cases_visible_to
from workflows.models import Team, TeamKind

STAFF_BOARD_ROLES = (Role.AGENT, Role.MANAGER)


def board_team(user, slug: str) -> Team | None:
    """Return the support team whose board `user` may watch: its members (managers included)."""
    team = Team.objects.filter(slug=str(slug)[:60], is_active=True).first()
    if team is None or not _active(user):
        return None
    if user.is_admin_role:
        return team
    if user.role in STAFF_BOARD_ROLES and team.pk in team_ids(user):
        return team
    return None


def board_department(user, slug: str) -> Team | None:
    """Return the department whose board `user` may watch: its members, its managers, admins."""
    team = Team.objects.filter(slug=str(slug)[:60], is_active=True, kind=TeamKind.DEPARTMENT).first()
    if team is None or not _active(user):
        return None
    if user.is_admin_role or team.pk in team_ids(user):
        return team
    return None


def sla_board_teams(user) -> QuerySet[Team] | None:
    """Return the teams on `user`'s manager SLA board (admins: every team), or None if not a manager."""
    if not _active(user) or not user.is_manager_role:
        return None
    teams = Team.objects.filter(is_active=True).order_by("name")
    if user.is_admin_role:
        return teams
    return teams.filter(pk__in=list(team_ids(user)))


def staff_case(user, reference: str) -> Case | None:
    """Return the case for the staff case page, if `user` is staff and may see it."""
    if not _active(user) or not user.is_staff_member:
        return None
    return _visible_case(user, reference)


def requester_case(user, reference: str) -> Case | None:
    """Return the case for the customer's page, if `user` is on the customer side and may see it."""
    if not _active(user) or user.is_staff_member:
        return None
    return _visible_case(user, reference)


def _visible_case(user, reference: str) -> Case | None:
    from tickets.models import pk_from_reference

    pk = pk_from_reference(str(reference)[:20])
    if pk is None:
        return None
    return cases_visible_to(user).select_related("team").filter(pk=pk).first()


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)
