"""Who is on shift: read by assignment (nobody off shift is given work) and the manager board."""

from __future__ import annotations

from datetime import datetime

from sla.business_time import is_open, next_open_end
from sla.models import ChainLink
from sla.selectors.calendars import shift_calendar


def team_on_duty(*, team, at: datetime) -> bool:
    """Tell whether `team` is on shift at `at`; a team without shifts is always on duty."""
    calendar = shift_calendar(team)
    return calendar is None or is_open(calendar, at)


def off_shift_user_ids(*, team, at) -> set[int]:
    """Return the ids of `team`'s members who are off shift at instant `at`.

    A team without shifts has everyone on duty.
    """
    if team_on_duty(team=team, at=at):
        return set()
    return set(team.memberships.values_list("user_id", flat=True))


def on_shift_now(*, team, at) -> list:
    """Return the active members of `team` on duty at `at` (all of them for a team without shifts)."""
    if not team_on_duty(team=team, at=at):
        return []
    from tickets.models import User

    return list(User.objects.filter(memberships__team=team, is_active=True).order_by("username"))


def next_handover(*, team, at) -> datetime | None:
    """Return when the team's current (or next) shift ends; None for a team without shifts."""
    calendar = shift_calendar(team)
    return next_open_end(calendar, at) if calendar is not None else None


def chain_teams(chain) -> list:
    """Return the chain's teams in hand-over order."""
    return [link.team for link in ChainLink.objects.filter(chain=chain).select_related("team").order_by("position")]


def successor_on_duty(*, chain, after_team, at: datetime):
    """Return the first team after `after_team` in the chain (wrapping round) on duty at `at`."""
    teams = chain_teams(chain)
    if after_team not in teams:
        return None
    i = teams.index(after_team)
    for team in teams[i + 1:] + teams[:i]:
        if team_on_duty(team=team, at=at):
            return team
    return None
