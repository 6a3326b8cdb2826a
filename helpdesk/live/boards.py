"""The boards a socket can subscribe to: who may, which groups, what a resync replays.

A board is built for one user and one key (a team slug, a case reference) by `board_open`,
which returns None when the user may not watch it. Its methods run in a worker thread
(they query); `accepts` runs on the event loop and decides from the message alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from helpdesk import clock
from tickets.models import CaseEvent, Role, Visibility, team_ids
from tickets.selectors import events_visible_to

from . import access, groups
from .payloads import event_message, events_load


class Board:
    """One subscription: the groups to join and the rules for what reaches the client."""

    name = ""
    presence = False
    audience = "staff"

    def __init__(self, user, key: str):
        self.user = user
        self.key = key
        self.groups: list[str] = []
        self.my_teams = frozenset(team_ids(user))

    def missed_ids(self, after_id: int, limit: int) -> list[int]:
        raise NotImplementedError

    def accepts(self, message: dict) -> str | None:
        """Return which rendering of a group message ("staff", "public") the client gets, or None."""
        return self._staff_view(message)

    def _staff_view(self, message: dict) -> str | None:
        # The same rules as tickets.selectors.events_visible_to, decided from the message.
        user = self.user
        works_case = (
            user.is_admin_role or user.is_manager_role
            or (message["case_assignee"] is not None and message["case_assignee"] == user.pk)
            or (message["case_team"] is None and user.role in (Role.AGENT, Role.MANAGER))
            or (message["case_team"] is not None and message["case_team"] in self.my_teams
                and user.role in (Role.AGENT, Role.MANAGER, Role.DEPARTMENT))
        )
        visibility = message["visibility"]
        if not works_case and visibility == Visibility.RESTRICTED and message.get("author_team") not in self.my_teams:
            return None
        return "staff"


class TeamBoard(Board):
    name = "team"

    def __init__(self, user, key, team):
        super().__init__(user, key)
        self.team = team
        self.groups = [groups.team(team.pk)]

    def missed_ids(self, after_id, limit):
        return _ids(CaseEvent.objects.filter(team_id=self.team.pk, id__gt=after_id), limit)


class SlaBoard(Board):
    name = "sla"

    def __init__(self, user, key, teams):
        super().__init__(user, key)
        self.team_ids = [t.pk for t in teams]
        self.groups = [groups.team(t) for t in self.team_ids]

    def missed_ids(self, after_id, limit):
        qs = CaseEvent.objects.filter(team_id__in=self.team_ids, kind__in=groups.SLA_BOARD_KINDS, id__gt=after_id)
        return _ids(qs, limit)

    def accepts(self, message):
        if message["kind"] not in groups.SLA_BOARD_KINDS:
            return None
        return self._staff_view(message)


class DepartmentBoard(Board):
    name = "department"

    def __init__(self, user, key, team):
        super().__init__(user, key)
        self.team = team
        self.groups = [groups.department(team.pk)]

    def missed_ids(self, after_id, limit):
        qs = CaseEvent.objects.filter(kind="task", id__gt=after_id).filter(
            Q(data__department=self.team.pk) | Q(data__department_id=self.team.pk)
        )
        return _ids(qs, limit)


class CaseBoard(Board):
    """The staff case page: its timeline and who is viewing and typing."""

    name = "case"
    presence = True

    def __init__(self, user, key, case):
        super().__init__(user, key)
        self.case = case
        self.groups = [groups.case_staff(case.pk)]

    def missed_ids(self, after_id, limit):
        return _ids(events_visible_to(self.user, self.case, after_id=after_id), limit)


class PortalCaseBoard(Board):
    """The customer's case page: public events only, whatever the group carries."""

    name = "portal_case"
    audience = "public"

    def __init__(self, user, key, case):
        super().__init__(user, key)
        self.case = case
        self.groups = [groups.case_public(case.pk)]

    def missed_ids(self, after_id, limit):
        return _ids(events_visible_to(self.user, self.case, after_id=after_id), limit)

    def accepts(self, message):
        if message.get("visibility") != Visibility.PUBLIC or "public_frame" not in message:
            return None
        return "public"


BOARDS = ("team", "sla", "department", "case", "portal_case")


def board_open(user, name: str, key: str) -> Board | None:
    """Return the board `name`/`key` for `user`, or None when they may not watch it (or it is not there)."""
    key = str(key or "")[:100]
    if name == "team":
        team = access.board_team(user, key)
        return TeamBoard(user, key, team) if team else None
    if name == "sla":
        teams = access.sla_board_teams(user)
        return SlaBoard(user, key, list(teams)) if teams is not None else None
    if name == "department":
        team = access.board_department(user, key)
        return DepartmentBoard(user, key, team) if team else None
    if name == "case":
        case = access.staff_case(user, key)
        return CaseBoard(user, key, case) if case else None
    if name == "portal_case":
        case = access.requester_case(user, key)
        return PortalCaseBoard(user, key, case) if case else None
    return None


def resync(board: Board, after_id: int) -> tuple[str, list[tuple[int, str]]]:
    """Return ("replay", [(event id, frame)]) of what the board missed after `after_id`, in order, or ("reload", []).

    A reload is asked for when the gap is more than RESYNC_MAX_EVENTS events, when the
    last seen event is older than the RESYNC_WINDOW_SECONDS retention window, or when
    the id is not one the log knows (a reset database).
    """
    conf = settings.HELPDESK_LIVE
    seen_at = CaseEvent.objects.filter(id=after_id).values_list("occurred_at", flat=True).first()
    if seen_at is None or seen_at < clock.now() - timedelta(seconds=conf["RESYNC_WINDOW_SECONDS"]):
        return "reload", []
    limit = int(conf["RESYNC_MAX_EVENTS"])
    ids = board.missed_ids(after_id, limit + 1)
    if len(ids) > limit:
        return "reload", []
    frames, rendered_cases = [], {}
    for event in events_load(ids):
        message = event_message(event, rendered_cases, replay=True)
        view = board.accepts(message)
        if view is not None:
            frames.append((event.pk, message[f"{view}_frame"]))
    return "replay", frames


def _ids(qs, limit: int) -> list[int]:
    return list(qs.order_by("id").values_list("id", flat=True)[:limit])
