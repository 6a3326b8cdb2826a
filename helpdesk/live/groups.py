"""Every channel-layer group name, and which groups a case event goes to.

Consumers join and the publisher sends to names made here only, so a board can never
listen to a group it was not authorized for by a name typed somewhere else.
"""

from __future__ import annotations

from typing import Any

# The alias in settings.CHANNEL_LAYERS the boards use (see settings for why it is separate).
LAYER = "live"

# Event kinds the manager SLA board reacts to; the rest of a team's traffic is not its business.
SLA_BOARD_KINDS = frozenset({"sla", "created", "transition", "assignment", "handover", "escalation", "routing"})


def team(team_id: int) -> str:
    """Return the group of a team's board: every event of the team's cases."""
    return f"live.team.{int(team_id)}"


def followed_together(name: str) -> bool:
    """Whether a board may follow this group alongside others (the SLA board: one per team)."""
    return name.startswith("live.team.")


def case_staff(case_id: int) -> str:
    """Return the group of the staff case page (events filtered per viewer, presence)."""
    return f"live.case.{int(case_id)}"


def case_public(case_id: int) -> str:
    """Return the group of the customer's case page: public events only are ever sent here."""
    return f"live.portal.{int(case_id)}"


def department(team_id: int) -> str:
    """Return the group of a department board: the task events routed to that department."""
    return f"live.department.{int(team_id)}"


def task_department_id(data: dict[str, Any]) -> int | None:
    """Return the department (team id) a task event belongs to, if the event names one."""
    if not isinstance(data, dict):
        return None
    for key in ("department", "department_id"):
        value = data.get(key)
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def for_event(*, case_id: int, kind: str, team_id: int | None, before: dict, data: dict,
              visibility: str) -> list[str]:
    """Return the groups an event is sent to.

    The team it happened in and, for a move between teams, the team it left (so that
    board drops the card); the staff case page; the customer's page only for public
    events; and a department board for task events naming a department.
    """
    names = [case_staff(case_id)]
    teams = {team_id} if team_id else set()
    previous = before.get("team") if isinstance(before, dict) else None
    if isinstance(previous, int) and not isinstance(previous, bool):
        teams.add(previous)
    names += [team(t) for t in sorted(teams)]
    if visibility == "public":
        names.append(case_public(case_id))
    if kind == "task":
        dept = task_department_id(data)
        if dept is not None:
            names.append(department(dept))
    return names
