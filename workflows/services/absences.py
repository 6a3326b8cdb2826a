"""Absences and detours: nobody away is given work, and their open cases move on when they leave.

`absences_detour_due` is the beat sweep: for each absence that has started and not been
handled, it hands the person's open cases to the delegate (when they can take them) or
back to the case's team by its strategy, one handover event per case, then marks the
absence handled. Nothing moves back when the absence ends.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from django.conf import settings
from django.db import transaction

from helpdesk import clock
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.eventlog import Actor
from tickets.models import OPEN_STATES, Case, EventKind
from workflows.models import Absence

log = logging.getLogger(__name__)

MAX_DELEGATE_HOPS = 5
SWEEP_BATCH = 50


def absent_user_ids(*, user_ids: Collection[int] | None = None, at: datetime | None = None) -> set[int]:
    """Return the ids of people away at `at` (now by default), optionally among `user_ids`."""
    at = at or clock.now()
    qs = Absence.objects.filter(starts_at__lte=at, ends_at__gt=at)
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    return set(qs.values_list("user_id", flat=True))


def detour_for(*, user, at: datetime | None = None):
    """Return who stands in for `user` while they are away, or None (present, or no delegate).

    Follows a chain of delegates who are themselves away, up to a few hops; a chain
    that ends with someone away, or loops, gives None.
    """
    at = at or clock.now()
    seen = {user.pk}
    current = user
    for _ in range(MAX_DELEGATE_HOPS):
        absence = (Absence.objects.filter(user=current, starts_at__lte=at, ends_at__gt=at)
                   .select_related("delegate").order_by("-starts_at").first())
        if absence is None:
            return current if current.pk != user.pk else None
        delegate = absence.delegate
        if delegate is None or not delegate.is_active or delegate.pk in seen:
            return None
        seen.add(delegate.pk)
        current = delegate
    return None


def absence_create(*, user, starts_at: datetime, ends_at: datetime, actor, delegate=None, reason: str = "") -> Absence:
    """Record time away for `user`; staff record their own, managers anyone's.

    Refuses an end before the start, a delegate who is the person themselves or not staff.
    """
    _may_manage(actor, user)
    _check(user=user, starts_at=starts_at, ends_at=ends_at, delegate=delegate)
    with transaction.atomic():
        return Absence.objects.create(user=user, starts_at=starts_at, ends_at=ends_at, delegate=delegate,
                                      reason=reason[:200], created_by=actor)


def absence_update(*, absence: Absence, actor, **changes) -> Absence:
    """Change an absence's dates, delegate or reason (same checks as creation)."""
    _may_manage(actor, absence.user)
    unknown = set(changes) - {"starts_at", "ends_at", "delegate", "reason"}
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["Cannot be changed."] for f in unknown})
    with transaction.atomic():
        absence = Absence.objects.select_for_update().get(pk=absence.pk)
        for name, value in changes.items():
            setattr(absence, name, value)
        _check(user=absence.user, starts_at=absence.starts_at, ends_at=absence.ends_at, delegate=absence.delegate)
        absence.save()
        return absence


def absence_delete(*, absence: Absence, actor) -> None:
    """Remove an absence (cases already handed over stay where they are)."""
    _may_manage(actor, absence.user)
    with transaction.atomic():
        Absence.objects.filter(pk=absence.pk).delete()


def _may_manage(actor, user) -> None:
    if actor is None or actor.pk == user.pk or actor.is_manager_role:
        return
    raise NotFound("No such person.")


def _check(*, user, starts_at, ends_at, delegate) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("An absence ends after it starts.", fields={"ends_at": ["Must be after the start."]})
    if delegate is not None:
        if delegate.pk == user.pk:
            raise InvalidInput("Nobody can stand in for themselves.", fields={"delegate": ["Choose someone else."]})
        if not delegate.is_active or not delegate.is_staff_member:
            raise InvalidInput("The delegate must be active staff.", fields={"delegate": ["Not a staff member."]})


def absences_detour_due(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Hand over the open cases of everyone whose absence has started; return how many absences were handled.

    Idempotent: an absence is handled once (rows taken with SKIP LOCKED, then stamped).
    """
    now = now or clock.now()
    handled = 0
    while handled < limit:
        with transaction.atomic():
            qs = Absence.objects.filter(detoured_at__isnull=True, starts_at__lte=now, ends_at__gt=now).order_by("starts_at")
            if settings.IS_POSTGRES:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            absence = qs.select_related("user", "delegate").first()
            if absence is None:
                break
            _detour_cases(absence, now)
            Absence.objects.filter(pk=absence.pk).update(detoured_at=now)
            handled += 1
    return handled


def _detour_cases(absence: Absence, now: datetime) -> None:
    from tickets.services.cases import case_assign
    from workflows.services.assignment import assignment_choose
    from workflows.services.notifications import notify

    actor = Actor.schedule("absence detour")
    user = absence.user
    delegate = detour_for(user=user, at=now)
    moved_to_delegate = []
    for case in Case.objects.filter(assignee=user, state__in=OPEN_STATES).select_related("team").order_by("id"):
        target, why = None, ""
        if delegate is not None and (case.team_id is None or delegate.memberships.filter(team_id=case.team_id).exists()):
            target, why = delegate, f"{user} is away until {absence.ends_at:%Y-%m-%d %H:%M} UTC; {delegate} stands in."
        elif case.team is not None:
            choice = assignment_choose(team=case.team, case=case, exclude_user_ids={user.pk}, at=now)
            target = choice.user
            why = f"{user} is away; back to {case.team} by its strategy: {choice.reason}"
        else:
            why = f"{user} is away and the case has no team; it returns to the triage queue."
        data = {"type": "absence", "absence": absence.pk, "from": user.pk, "to": target.pk if target else None,
                "delegate": delegate.pk if delegate else None}
        case_assign(case=case, assignee=target, actor=actor, reason=why, event_kind=EventKind.HANDOVER, data=data)
        if target is not None and target == delegate:
            moved_to_delegate.append(case)
    if moved_to_delegate and delegate is not None:
        notify(recipients=[delegate], kind="handover", title=f"{len(moved_to_delegate)} case(s) from {user} while they are away",
               body="\n".join(c.reference + " " + c.subject for c in moved_to_delegate))

