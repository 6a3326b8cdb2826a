"""Follow-the-sun: at a team's shift end, cases that cannot wait go to the team on duty next."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from helpdesk import clock as wall
from helpdesk.errors import DomainError
from helpdesk.eventlog import Actor
from sla.business_time import is_open, open_ends_between
from sla.models import CalendarKind, ChainLink, Clock, ClockState, FollowTheSunChain, HandoverRun
from sla.selectors.calendars import shift_calendar
from sla.selectors.shifts import off_shift_user_ids, successor_on_duty
from tickets.models import OPEN_STATES, Case, Comment, EventKind

log = logging.getLogger(__name__)
HANDOVER_ACTOR = Actor.schedule("follow-the-sun handover")


def continuous_priorities() -> list[str]:
    return list(getattr(settings, "SLA_CONTINUOUS_PRIORITIES", ["P1", "P2"]))


def cases_needing_attention(team):
    """Return the team's open cases that need attention around the clock.

    A case does when a live clock runs on a 24x7 calendar or its priority is one of
    `SLA_CONTINUOUS_PRIORITIES`.
    """
    round_the_clock = Clock.objects.filter(
        state__in=[ClockState.RUNNING, ClockState.PAUSED], calendar__kind=CalendarKind.ALWAYS
    ).values("case_id")
    from django.db.models import Q

    return Case.objects.filter(team=team, state__in=OPEN_STATES).filter(
        Q(priority__in=continuous_priorities()) | Q(pk__in=round_the_clock)
    ).order_by("pk")


def handovers_run(*, now: datetime | None = None, lookback_hours: int = 2) -> list[HandoverRun]:
    """Hand over at every shift end of the last `lookback_hours` not handled yet; return the runs.

    Idempotent: each (team, shift end) is handled once, by whichever beat gets there
    first; a beat that ran twice or two workers find the run row and do nothing.
    """
    now = now or wall.now()
    runs = []
    links = ChainLink.objects.filter(chain__is_active=True).select_related("team", "chain")
    for link in links:
        calendar = shift_calendar(link.team)
        if calendar is None or is_open(calendar, now):
            continue
        ends = open_ends_between(calendar, now - timedelta(hours=lookback_hours), now)
        if not ends:
            continue
        run = team_handover(team=link.team, chain=link.chain, shift_end=ends[-1], now=now)
        if run is not None:
            runs.append(run)
    return runs


def team_handover(*, team, chain: FollowTheSunChain, shift_end: datetime, now: datetime) -> HandoverRun | None:
    """Reassign the off-going team's round-the-clock cases to the chain's team on duty.

    Returns the run, or None when this shift end was already handled. Each case gets a
    `handover` event carrying its last internal note; the new owner is chosen by the
    receiving team's assignment strategy among those on shift. Other cases stay.
    """
    from tickets.services.cases import case_assign
    from workflows.services.assignment import assignee_pick

    try:
        with transaction.atomic():
            run = HandoverRun.objects.create(team=team, shift_end=shift_end, ran_at=now)
            to_team = successor_on_duty(chain=chain, after_team=team, at=now)
            run.to_team = to_team
            if to_team is not None:
                skip = off_shift_user_ids(team=to_team, at=now)
                for case in cases_needing_attention(team):
                    note = Comment.objects.filter(case=case, is_public=False).order_by("-id").first()
                    assignee = assignee_pick(team=to_team, case=case, exclude_user_ids=skip)
                    data = {
                        "from_team": team.pk, "from_team_name": team.name,
                        "to_team": to_team.pk, "to_team_name": to_team.name,
                        "shift_end": shift_end.isoformat(), "chain": chain.name,
                        "last_internal_note": {"id": note.pk, "author": str(note.author), "body": note.body[:2000],
                                               "at": note.created_at.isoformat()} if note else None,
                    }
                    try:
                        case_assign(case=case.pk, assignee=assignee, team=to_team, actor=HANDOVER_ACTOR,
                                    reason=f"{team.name} went off shift; {to_team.name} is on duty.",
                                    event_kind=EventKind.HANDOVER, data=data)
                        run.handed_over += 1
                    except DomainError as exc:
                        log.info("handover of case %s refused: %s", case.pk, exc)
            run.save()
            return run
    except IntegrityError:
        return None
